"""``flask doctor``: check a configured installation and say, in plain words, what is wrong.

Each check is a small function that takes the app and returns :class:`Finding` values: what was
checked, whether it passed, what it found and how to fix it. Nothing here writes to the database;
the storage check writes and removes one probe file. A check that does not apply to this setup
(Redis or SMTP not configured, one app server) says so and passes.
"""
from __future__ import annotations

import datetime
import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

#: A signing certificate closer than this to its end is reported, so there is time to renew it.
CERT_RENEW_DAYS = 30
#: Clock difference to the database (or Redis) server above which quiz deadlines and signatures
#: would carry wrong times.
MAX_CLOCK_DRIFT_SECONDS = 5
#: File systems that several app servers can share (STORAGE_DIR with APP_SERVERS > 1).
SHARED_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "lustre", "gpfs",
                      "beegfs", "ocfs2", "gfs2", "9p", "virtiofs"}


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, whether it passed, what was seen, what to do."""

    check: str
    ok: bool
    message: str
    fix: str = ""


def _ok(check: str, message: str) -> Finding:
    return Finding(check, True, message)


def _bad(check: str, message: str, fix: str) -> Finding:
    return Finding(check, False, message, fix)


def check_settings(app: Flask) -> Iterator[Finding]:
    """Settings present and sane for the mode (start-up already refuses the worst ones)."""
    cfg = app.config
    production = cfg["APP_ENV"] == "production"
    site = urlsplit(cfg["SITE_URL"])
    if site.scheme not in {"http", "https"} or not site.hostname:
        yield _bad("pengaturan", f"SITE_URL {cfg['SITE_URL']!r} bukan alamat web lengkap.",
                   "Isi SITE_URL dengan alamat situs, mis. https://netral.paserkab.go.id")
        return
    if site.hostname in {"0.0.0.0", "::"}:
        yield _bad("pengaturan", f"SITE_URL menunjuk {site.hostname}, yang tidak dapat dibuka peserta.",
                   "Isi SITE_URL dengan nama atau alamat IP server yang dipakai peserta.")
        return
    if not production:
        yield _ok("pengaturan", f"mode {cfg['APP_ENV']}; tautan dan kode QR menunjuk {cfg['SITE_URL']}.")
        return
    problems = []
    if site.scheme != "https":
        problems.append(("SITE_URL belum memakai https.", "Pasang TLS di nginx dan isi SITE_URL dengan https://…"))
    if site.hostname not in (cfg.get("TRUSTED_HOSTS") or []):
        problems.append((f"nama {site.hostname} di SITE_URL tidak ada di TRUSTED_HOSTS.",
                         "Tambahkan nama itu ke TRUSTED_HOSTS."))
    if not cfg.get("SESSION_COOKIE_SECURE"):
        problems.append(("cookie sesi dikirim juga lewat http.", "Hapus SESSION_COOKIE_SECURE=0 di mode production."))
    if not cfg.get("REDIS_URL"):
        problems.append(("REDIS_URL kosong: batas laju tidak dibagi antarproses dan PDF dibuat di dalam permintaan.",
                         "Isi REDIS_URL (mis. redis://127.0.0.1:6379/0) dan jalankan `flask worker`."))
    for message, fix in problems:
        yield _bad("pengaturan", message, fix)
    if not problems:
        yield _ok("pengaturan", f"mode production untuk {cfg['SITE_URL']}.")


def check_database(app: Flask) -> Iterator[Finding]:
    """The database answers and its schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url, **_probe_engine_options(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any driver error is the finding itself
        yield _bad("basis data", f"tidak dapat dihubungi ({_first_line(exc)}).",
                   "Periksa DATABASE_URL dan bahwa server PostgreSQL berjalan dan menerima koneksi.")
        return
    finally:
        engine.dispose()
    script = ScriptDirectory(str(Path(app.extensions["migrate"].directory)))
    heads = set(script.get_heads())
    if not current:
        yield _bad("basis data", "terhubung, tetapi skemanya belum dibuat.", "Jalankan `flask db upgrade`.")
    elif current != heads:
        yield _bad("basis data", f"skema pada revisi {', '.join(sorted(current))}, terbaru {', '.join(sorted(heads))}.",
                   "Cadangkan data (lihat docs/operations.md), lalu jalankan `flask db upgrade`.")
    else:
        yield _ok("basis data", f"terhubung; skema pada revisi terbaru ({', '.join(sorted(heads))}).")


def _probe_engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {}
    from sqlalchemy.pool import NullPool

    return {"connect_args": {"connect_timeout": 5}, "poolclass": NullPool}


def check_redis(app: Flask) -> Iterator[Finding]:
    """Redis answers, when one is configured."""
    url = app.config.get("REDIS_URL")
    if not url:
        yield _ok("redis", "tidak dipakai (REDIS_URL kosong): batas laju dihitung per proses, pekerjaan dijalankan langsung.")
        return
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        yield _bad("redis", f"{_redact(url)} tidak menjawab ({_first_line(exc)}).",
                   "Jalankan redis-server atau perbaiki REDIS_URL.")
        return
    yield _ok("redis", f"{_redact(url)} menjawab.")


def check_storage(app: Flask) -> Iterator[Finding]:
    """STORAGE_DIR is writable, and shared when several app servers use it."""
    root = Path(app.config["STORAGE_DIR"])
    probe = root / f".doctor-{uuid.uuid4().hex}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        yield _bad("penyimpanan", f"{root} tidak dapat ditulisi ({exc.strerror or exc}).",
                   "Buat folder itu dan berikan hak tulis kepada pengguna layanan (mis. `chown netral`).")
        return
    servers = app.config.get("APP_SERVERS", 1)
    if servers > 1:
        fstype = filesystem_type(root)
        if fstype not in SHARED_FILESYSTEMS:
            yield _bad("penyimpanan", f"APP_SERVERS={servers}, tetapi {root} ada di sistem berkas lokal ({fstype}): "
                       "PDF yang dibuat satu server tidak terlihat oleh server lain.",
                       "Pasang STORAGE_DIR di penyimpanan bersama (NFS atau sejenisnya) di setiap server.")
            return
        yield _ok("penyimpanan", f"{root} dapat ditulisi, di penyimpanan bersama ({fstype}).")
        return
    yield _ok("penyimpanan", f"{root} dapat ditulisi.")


def filesystem_type(path: Path) -> str:
    """The file system type of the mount that holds ``path`` (from /proc/mounts)."""
    path = path.resolve()
    best, best_type = "", "unknown"
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best_type
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        if (str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, best_type = mount, fields[2]
    return best_type


def check_signing(app: Flask) -> Iterator[Finding]:
    """The signing key opens, its certificate comes from the configured CA and is not near its end."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12

    from ..core.clock import now_utc
    from ..pact.keys import key_paths

    with app.app_context():
        paths = key_paths()
    fix_missing = ("Mode pengembangan: jalankan `flask keys init`. Production: isi SIGNING_PKCS12_PATH, "
                   "SIGNING_PKCS12_PASSWORD dan SIGNING_CA_PATH dengan berkas dari CA.")
    if not paths.pkcs12.is_file():
        yield _bad("kunci tanda tangan", f"berkas kunci {paths.pkcs12} tidak ada.", fix_missing)
        return
    try:
        _key, cert, _extra = pkcs12.load_key_and_certificates(paths.pkcs12.read_bytes(), paths.password or None)
    except ValueError:
        yield _bad("kunci tanda tangan", f"{paths.pkcs12} tidak dapat dibuka: kata sandi salah atau berkas rusak.",
                   "Periksa SIGNING_PKCS12_PASSWORD.")
        return
    if cert is None:
        yield _bad("kunci tanda tangan", f"{paths.pkcs12} tidak memuat sertifikat.", fix_missing)
        return
    try:
        roots = x509.load_pem_x509_certificates(paths.ca.read_bytes())
    except (OSError, ValueError):
        yield _bad("kunci tanda tangan", f"sertifikat CA {paths.ca} tidak ada atau tidak dapat dibaca.",
                   "Isi SIGNING_CA_PATH dengan sertifikat CA (PEM) yang menerbitkan kunci penandatangan.")
        return
    if not any(_issued_by(cert, root) for root in roots):
        yield _bad("kunci tanda tangan", "sertifikat penandatangan tidak diterbitkan oleh CA di SIGNING_CA_PATH: "
                   "tanda tangan tidak akan dapat diverifikasi.",
                   "Pasangkan SIGNING_CA_PATH dengan CA yang menerbitkan sertifikat itu.")
        return
    now = now_utc()
    ends = cert.not_valid_after_utc
    name = cert.subject.rfc4514_string()
    if now < cert.not_valid_before_utc:
        yield _bad("kunci tanda tangan", f"sertifikat {name} baru berlaku mulai {cert.not_valid_before_utc:%Y-%m-%d}.",
                   "Periksa jam server, atau tunggu sampai sertifikat berlaku.")
    elif now >= ends:
        yield _bad("kunci tanda tangan", f"sertifikat {name} sudah kedaluwarsa pada {ends:%Y-%m-%d}.",
                   "Minta sertifikat baru dari CA dan pasang sebelum menandatangani lagi.")
    elif ends - now < datetime.timedelta(days=CERT_RENEW_DAYS):
        yield _bad("kunci tanda tangan", f"sertifikat {name} berakhir {ends:%Y-%m-%d} "
                   f"(kurang dari {CERT_RENEW_DAYS} hari lagi).", "Minta sertifikat baru dari CA sekarang.")
    else:
        for root in roots:
            if _issued_by(cert, root) and now >= root.not_valid_after_utc:
                yield _bad("kunci tanda tangan", f"sertifikat CA {root.subject.rfc4514_string()} sudah kedaluwarsa.",
                           "Pasang sertifikat CA yang berlaku.")
                return
        yield _ok("kunci tanda tangan", f"{name}, berlaku sampai {ends:%Y-%m-%d}, diterbitkan oleh CA yang dikonfigurasi.")


def _issued_by(cert, root) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except Exception:  # noqa: BLE001 - wrong issuer name, key or algorithm: not issued by it
        return False
    return True


def check_smtp(app: Flask) -> Iterator[Finding]:
    """The mail server answers (and accepts the login) when reminders by e-mail are on."""
    cfg = app.config
    if not (cfg.get("SMTP_HOST") and cfg.get("SMTP_FROM")):
        yield _ok("email", "pengingat lewat email tidak aktif (SMTP_HOST atau SMTP_FROM kosong).")
        return
    host, port = cfg["SMTP_HOST"], cfg["SMTP_PORT"]
    try:
        if cfg["SMTP_TLS"] == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=5, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=5)
        with client:
            client.ehlo()
            if cfg["SMTP_TLS"] == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if cfg.get("SMTP_USER"):
                client.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD", ""))
            client.noop()
    except smtplib.SMTPAuthenticationError:
        yield _bad("email", f"{host}:{port} menolak SMTP_USER/SMTP_PASSWORD.", "Periksa akun email pengirim.")
        return
    except (OSError, smtplib.SMTPException) as exc:
        yield _bad("email", f"{host}:{port} tidak dapat dipakai ({_first_line(exc)}).",
                   "Periksa SMTP_HOST, SMTP_PORT dan SMTP_TLS (starttls, ssl atau none).")
        return
    yield _ok("email", f"{host}:{port} menerima koneksi.")


def check_clock(app: Flask) -> Iterator[Finding]:
    """This server's clock agrees with the database server's (and Redis')."""
    from sqlalchemy import create_engine, text

    from ..core.clock import now_utc

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    others: list[tuple[str, datetime.datetime]] = []
    if not url.startswith("sqlite"):
        engine = create_engine(url, **_probe_engine_options(url))
        try:
            with engine.connect() as connection:
                others.append(("server basis data", connection.execute(text("SELECT now()")).scalar_one()))
        except Exception:  # noqa: BLE001 - reported by the database check
            pass
        finally:
            engine.dispose()
    if app.config.get("REDIS_URL"):
        from redis import Redis

        try:
            seconds, micros = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2).time()
            others.append(("server Redis", datetime.datetime.fromtimestamp(seconds + micros / 1e6, datetime.timezone.utc)))
        except Exception:  # noqa: BLE001 - reported by the Redis check
            pass
    if not others:
        yield _ok("jam", "basis data dan aplikasi memakai jam mesin yang sama.")
        return
    mine = now_utc()
    for name, theirs in others:
        drift = abs((mine - theirs).total_seconds())
        if drift > MAX_CLOCK_DRIFT_SECONDS:
            yield _bad("jam", f"jam server ini berbeda {drift:.0f} detik dari {name}.",
                       "Aktifkan sinkronisasi waktu (systemd-timesyncd atau chrony) di kedua server.")
            return
    yield _ok("jam", "selisih dengan " + " dan ".join(name for name, _ in others) + f" di bawah {MAX_CLOCK_DRIFT_SECONDS} detik.")


def check_fonts(app: Flask) -> Iterator[Finding]:
    """The fonts PDFs are made with are present, and WeasyPrint renders with them."""
    from ..core import pdf

    wanted = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"]
    missing = [name for name in wanted if not (pdf.FONT_DIR / name).is_file()]
    if missing:
        yield _bad("huruf PDF", f"berkas huruf tidak ada di {pdf.FONT_DIR}: {', '.join(missing)}.",
                   "Pasang ulang aplikasi dari rilisnya (folder static/fonts).")
        return
    try:
        data = pdf.HTML(string='<p style="font-family: \'DejaVu Sans\'">Uji huruf — Netral</p>').write_pdf(
            uncompressed_pdf=True)
    except Exception as exc:  # noqa: BLE001 - a missing Pango library raises here
        yield _bad("huruf PDF", f"WeasyPrint tidak dapat membuat PDF ({_first_line(exc)}).",
                   "Pasang paket Debian libpango-1.0-0 dan libpangoft2-1.0-0.")
        return
    if b"DejaVu-Sans" not in data:
        yield _bad("huruf PDF", "PDF uji tidak memakai huruf DejaVu Sans.", "Periksa FONTCONFIG_FILE dan folder static/fonts.")
        return
    yield _ok("huruf PDF", "DejaVu tersedia; WeasyPrint membuat PDF uji.")


def check_sso(app: Flask) -> Iterator[Finding]:
    """With SSO on: the provider's discovery document answers for exactly SSO_ISSUER, offers PKCE
    S256 (and a logout endpoint when SSO_END_SESSION), and its token endpoint accepts the client id
    and secret (a probe with a made-up code: ``invalid_grant`` means the client was authenticated)."""
    import requests

    cfg = app.config
    issuer = cfg.get("SSO_ISSUER")
    if not issuer:
        yield _ok("SSO", "login SSO tidak aktif (SSO_ISSUER kosong).")
        return
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        yield _bad("SSO", f"dokumen discovery {issuer}/.well-known/openid-configuration tidak dapat dibaca "
                   f"({_first_line(exc)}).", "Periksa SSO_ISSUER dan apakah server ini dapat menjangkau layanan SSO.")
        return
    if metadata.get("issuer") != issuer:
        yield _bad("SSO", f"layanan SSO menyebut issuer {metadata.get('issuer')!r}, bukan {issuer!r}.",
                   "Salin issuer persis seperti di dokumen discovery ke SSO_ISSUER (tanpa garis miring di akhir).")
        return
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        yield _bad("SSO", "layanan SSO tidak menawarkan PKCE S256.", "Minta admin SSO mengaktifkan PKCE S256.")
    if cfg.get("SSO_END_SESSION") and not metadata.get("end_session_endpoint"):
        yield _bad("SSO", "SSO_END_SESSION aktif tetapi layanan SSO tidak punya end_session_endpoint.",
                   "Matikan SSO_END_SESSION, atau minta admin SSO mengaktifkan RP-initiated logout.")
    try:
        probe = requests.post(metadata["token_endpoint"], timeout=5,
                              auth=(cfg["SSO_CLIENT_ID"], cfg.get("SSO_CLIENT_SECRET") or ""),
                              data={"grant_type": "authorization_code", "code": "flask-doctor-probe",
                                    "redirect_uri": cfg["SITE_URL"].rstrip("/") + "/masuk/sso/kembali"})
        error = probe.json().get("error")
    except (requests.RequestException, ValueError, KeyError) as exc:
        yield _bad("SSO", f"token endpoint tidak dapat dipakai ({_first_line(exc)}).",
                   "Periksa jaringan ke layanan SSO.")
        return
    if error in {"invalid_client", "unauthorized_client"}:
        yield _bad("SSO", f"layanan SSO menolak klien {cfg['SSO_CLIENT_ID']!r} ({error}).",
                   "Periksa SSO_CLIENT_ID dan SSO_CLIENT_SECRET dengan admin SSO.")
        return
    yield _ok("SSO", f"{issuer} menjawab; klien {cfg['SSO_CLIENT_ID']!r} dikenali.")


CHECKS: tuple[Callable[[Flask], Iterator[Finding]], ...] = (
    check_settings, check_database, check_redis, check_storage, check_signing, check_smtp, check_clock,
    check_fonts, check_sso,
)


def run_checks(app: Flask) -> list[Finding]:
    """Every check's findings, in order."""
    return [finding for check in CHECKS for finding in check(app)]


def as_json(findings: list[Finding]) -> dict:
    return {"ok": all(f.ok for f in findings), "checks": [asdict(f) for f in findings]}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url

