"""The dossier (issue 14 §1): a device's archive, or a hospital's for a date range, as one
PDF (cover, timeline, every signed record in order, bookmarks) and as a zip of the original
documents with an ``index.xlsx`` — what an inspector asks for."""
