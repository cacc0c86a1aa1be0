"""Public verification of documents (pacts, certificates) by code or QR, and by uploading the PDF."""
