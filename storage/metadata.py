"""The one metadata: importing this module registers every table."""

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers tables)

metadata = SQLModel.metadata
