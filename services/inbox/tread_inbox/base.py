"""The declarative base of the inbox service's own tables."""

from tread_shared.db.base import ServiceBase, service_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = service_metadata()
