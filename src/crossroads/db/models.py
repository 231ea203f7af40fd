"""Import every domain's models so that Alembic and the test suite see the whole schema."""

from crossroads.audit import models as audit_models  # noqa: F401
from crossroads.auth import models as auth_models  # noqa: F401
from crossroads.cases import models as case_models  # noqa: F401
from crossroads.db.base import Base
from crossroads.dedup import models as dedup_models  # noqa: F401
from crossroads.disclosure import models as disclosure_models  # noqa: F401
from crossroads.people import models as people_models  # noqa: F401

metadata = Base.metadata
