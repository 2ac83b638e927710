"""The acceptance certificate (验收证, R-3.1) as an uploaded document on the device."""
