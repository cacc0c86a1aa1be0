"""Names and the unit tree of the demo regency (fictional people, real kinds of units)."""

INSTANSI = "Pemerintah Kabupaten Paser"
TIMEZONE = "Asia/Makassar"
PROGRAM_TITLE = "Sosialisasi Netralitas ASN Pilkada 2026"
PROGRAM_DESCRIPTION = ("Seluruh pegawai Pemerintah Kabupaten Paser mempelajari aturan netralitas, mengerjakan "
                       "kuis, lalu menandatangani pakta integritas netralitas sebelum masa kampanye.")

#: OPD → sub-units (one level is enough to show the tree; some have two).
UNITS = {
    "Sekretariat Daerah": {"Bagian Hukum": {}, "Bagian Umum": {}, "Bagian Organisasi": {}},
    "Sekretariat DPRD": {},
    "Inspektorat": {},
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia": {"Bidang Pengembangan SDM": {},
                                                              "Bidang Mutasi dan Disiplin": {}},
    "Badan Kesatuan Bangsa dan Politik": {},
    "Dinas Pendidikan": {"Sekretariat": {}, "Bidang Pembinaan Sekolah Dasar": {"SD Negeri 001 Tanah Grogot": {}}},
    "Dinas Kesehatan": {"Sekretariat": {}, "Puskesmas Tanah Grogot": {}, "RSUD Panglima Sebaya": {}},
    "Dinas Pekerjaan Umum dan Penataan Ruang": {},
    "Kecamatan Tanah Grogot": {"Kelurahan Tanah Grogot": {}},
    "Kecamatan Long Ikis": {},
    "Kecamatan Batu Sopang": {},
}

FIRST_NAMES_M = ["Ahmad", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Rahmat", "Slamet",
                 "Taufik", "Wahyu", "Yusuf", "Agus", "Bambang", "Hasanuddin", "Muhammad", "Rudi", "Syahrul",
                 "Andi", "Arif", "Dimas", "Gunawan", "Heru", "Nur"]
FIRST_NAMES_F = ["Siti", "Dewi", "Fitri", "Indah", "Lestari", "Nurul", "Putri", "Rina", "Sri", "Wulan",
                 "Yuliana", "Aisyah", "Ani", "Dian", "Erna", "Hartini", "Kartika", "Maya", "Novi", "Ratna",
                 "Rahayu", "Sari", "Titik", "Umi", "Yanti"]
LAST_NAMES = ["Pratama", "Saputra", "Wijaya", "Hidayat", "Santoso", "Kurniawan", "Setiawan", "Rahman",
              "Nugroho", "Susanto", "Lubis", "Siregar", "Hasibuan", "Daeng", "Aminah", "Anggraini",
              "Handayani", "Marlina", "Permatasari", "Wahyuni", "Ramadhan", "Syamsuddin", "Ibrahim",
              "Baharuddin", "Mappiasse"]
TITLES = ["", "", "", "S.Pd.", "S.E.", "S.H.", "S.Kep.", "A.Md.", "S.Sos.", "S.T.", "M.Si.", "S.Kom."]
JABATAN = {
    "PNS": ["Analis Kebijakan Ahli Muda", "Pengelola Kepegawaian", "Guru Ahli Muda", "Perawat Ahli Pertama",
            "Kepala Seksi", "Kepala Subbagian Umum", "Pengadministrasi Perkantoran", "Auditor Ahli Pertama",
            "Penata Kelola Sistem dan Teknologi Informasi", "Bidan Ahli Muda"],
    "PPPK": ["Guru Ahli Pertama", "Perawat Terampil", "Penata Layanan Operasional", "Pengelola Umum Operasional",
             "Dokter Ahli Pertama"],
    "NON_ASN": ["Tenaga Administrasi", "Pramu Bakti", "Pengemudi", "Petugas Kebersihan", "Operator Komputer"],
}
PNS_GOLONGAN = ["II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
PPPK_GOLONGAN = ["V", "VII", "IX", "X", "XI"]
