"""Checks for the identifiers the federation exchanges."""

from standards.identifiers.citizen_id import CitizenId, InvalidCitizenId, parse_citizen_id
from standards.identifiers.licence_id import InvalidLicenceId, LicenceId, parse_licence_id
from standards.identifiers.uscc import InvalidUSCC, is_valid_uscc, parse_uscc

__all__ = [
    "CitizenId",
    "InvalidCitizenId",
    "InvalidLicenceId",
    "InvalidUSCC",
    "LicenceId",
    "is_valid_uscc",
    "parse_citizen_id",
    "parse_licence_id",
    "parse_uscc",
]
