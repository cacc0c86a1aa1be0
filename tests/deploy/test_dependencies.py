"""Facts about dependencies that the docs state: oscrypto (unmaintained, pulled in by pyHanko's
certificate validator) is not on any code path the app uses."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from tests.conftest import make_app
from pathlib import Path
import tempfile
from netral_learn.pact import document
from netral_learn.core.pdf import render_pdf
with tempfile.TemporaryDirectory() as tmp:
    app = make_app(Path(tmp))
    with app.app_context():
        signed = document.add_pades_signature(render_pdf("<p>Uji</p>"), field="Uji", name="Uji",
                                              reason="Uji", location="Uji")
        assert document.check_pdf_signatures(signed).all_valid
print("oscrypto" in sys.modules)
"""


def test_signing_and_validating_never_import_oscrypto():
    """Does signing a PDF and validating it (explicit trust roots) leave oscrypto unimported?"""
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
