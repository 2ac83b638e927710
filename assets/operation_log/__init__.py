"""The operation log of a device (使用记录, R-5.4; issue 14 §1): what the hospital's staff
record on a phone after scanning the device's label — a start-up check, the hours or counts
of use, an event — and, after an abnormal start-up check, the fault report it offers."""
