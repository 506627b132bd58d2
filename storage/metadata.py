"""The one metadata: importing this module registers every table."""

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers tables)
from storage import models_rating  # noqa: F401  (registers the rating tables)

metadata = SQLModel.metadata
