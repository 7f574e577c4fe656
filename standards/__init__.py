"""Pure code and data for the standards the system speaks.

Code lists (GB/T 2260 regions, themes, open classes, licences, update
frequencies), identifier checks (citizen ID, unified social credit code,
e-licence identifier) and masking of personal identifiers. Imports nothing
else of ours, so it could be published on its own.
"""
