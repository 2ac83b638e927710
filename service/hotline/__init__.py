"""The hotline desk (issue 13 §3): the call log, the phone lookup, a call turned into a
request in one step, the duplicate warning, calls solved by phone, complaints per hospital."""
