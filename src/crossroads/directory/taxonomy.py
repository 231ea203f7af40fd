"""The need categories every directory starts with: stable codes, English names, labels translated on screen.

The migration that creates the directory inserts these terms with the same ids (tests/directory/test_taxonomy.py
holds the two equal), so a search by `need=legal_aid` works before anything is imported, and imported HSDS
terms may name them as their parent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from crossroads.kit.i18n import N_

TAXONOMY_ID = "6f1c1f0e-3c52-5d0a-9a51-1d2b7c0a4e10"
TAXONOMY_NAME = "Crossroads need categories"
_NAMESPACE = uuid.UUID(TAXONOMY_ID)


@dataclass(frozen=True)
class Need:
    code: str
    label: str  # English, marked for translation; the term's `name` in the directory
    description: str  # the term's HSDS description, in English as the rest of an HSDS file

    @property
    def term_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.code))


NEEDS: tuple[Need, ...] = (
    Need("health", N_("Health"),
         "Medical care, clinics, vaccination, sexual and reproductive health."),
    Need("shelter", N_("Shelter"),
         "Emergency and transitional accommodation, safe houses."),
    Need("legal_aid", N_("Legal aid"),
         "Legal counselling and representation: asylum, residence, labour and family law."),
    Need("psychosocial", N_("Psychosocial support"),
         "Mental health and psychosocial support, counselling, support groups."),
    Need("education", N_("Education"),
         "Schooling, language classes, vocational training."),
    Need("employment", N_("Employment and job matching"),
         "Job matching, work permits, skills recognition, livelihoods."),
    Need("documentation", N_("Documentation"),
         "Identity and civil documents: birth registration, travel documents, certificates."),
    Need("family_tracing", N_("Family tracing"),
         "Restoring family links and tracing separated relatives."),
    Need("return_reintegration", N_("Return and reintegration"),
         "Assisted voluntary return and reintegration in the country of origin."),
)

BY_CODE = {n.code: n for n in NEEDS}
