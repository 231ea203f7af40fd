"""The whole database schema: every domain's models, and the upgrade that brings a database to it.

The domains' models are imported together so that Alembic, the CLI and the tests see every table (and the
foreign keys between domains). Only this top-level module may gather them: `db` stays below every domain.
"""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crossroads.audit import models as audit_models  # noqa: F401
from crossroads.auth import models as auth_models  # noqa: F401
from crossroads.cases import models as case_models  # noqa: F401
from crossroads.cases.work import models as case_work_models  # noqa: F401
from crossroads.cases.workflow import models as case_workflow_models  # noqa: F401
from crossroads.consent import models as consent_models  # noqa: F401
from crossroads.db.base import Base
from crossroads.db.migrate import migrate
from crossroads.dedup import models as dedup_models  # noqa: F401
from crossroads.directory import models as directory_models  # noqa: F401
from crossroads.disclosure import models as disclosure_models  # noqa: F401
from crossroads.eligibility import models as eligibility_models  # noqa: F401
from crossroads.notify import models as notify_models  # noqa: F401
from crossroads.people import models as people_models  # noqa: F401
from crossroads.programmes import models as programme_models  # noqa: F401
from crossroads.programmes.service import ensure_all_search_indexes
from crossroads.referrals import models as referral_models  # noqa: F401

metadata = Base.metadata


def upgrade_database(engine: Engine) -> None:
    """Migrate to the latest schema, then re-create the indexes of searchable programme fields.

    Those indexes follow published configuration, not migrations, and a SQLite batch migration that
    rebuilds the cases table drops them; re-creating them here keeps every upgrade path whole.
    """
    migrate(engine)
    with Session(engine) as session, session.begin():
        ensure_all_search_indexes(session)
