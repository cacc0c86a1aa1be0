"""The pakta integritas: versioned templates, signing with re-authentication, signed PDF, verification."""
