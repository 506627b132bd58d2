"""The one metadata: importing this module registers every table."""

from sqlmodel import SQLModel

# Importing the model modules registers their tables.
import storage.models
import storage.models_ops
import storage.models_rating
import storage.models_record
import storage.models_reminders
import storage.models_trust
import storage.models_year
import storage.models_year_notice  # noqa: F401

metadata = SQLModel.metadata
