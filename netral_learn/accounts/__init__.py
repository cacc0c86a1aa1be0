"""Identity: units (unit kerja), people (pegawai), roles and scope, login, roster import."""
