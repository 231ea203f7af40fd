"""Every domain's models, imported together so that Alembic and the test suite see the whole schema."""

from crossroads.audit import models as audit_models  # noqa: F401
from crossroads.auth import models as auth_models  # noqa: F401
from crossroads.cases import models as case_models  # noqa: F401
from crossroads.cases.work import models as case_work_models  # noqa: F401
from crossroads.cases.workflow import models as case_workflow_models  # noqa: F401
from crossroads.db.base import Base
from crossroads.dedup import models as dedup_models  # noqa: F401
from crossroads.disclosure import models as disclosure_models  # noqa: F401
from crossroads.people import models as people_models  # noqa: F401
from crossroads.programmes import models as programme_models  # noqa: F401

metadata = Base.metadata
