"""An .aab handed to the release is read from disk and sent to Google Play: only a real bundle
under the policy's build directory may go (a path such as /proc/self/environ would send every
credential of the worker to Play as the bundle body)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from procedure.policy import AndroidApp
from procedure.request import RequestError

BUNDLE_MARKER = "BundleConfig.pb"  # every Android App Bundle has it at the top of the zip


def checked_bundle(path: str, app: AndroidApp) -> Path:
    """The bundle's real path (symlinks resolved), or RequestError naming `aab_path`."""
    if not app.builds_dir:
        raise RequestError("aab_path: the policy gives no `builds_dir` for this app")
    builds = Path(app.builds_dir).resolve()
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        raise RequestError(f"aab_path: no such file {path!r}") from None
    # after resolving: a symlink inside builds_dir that points elsewhere is outside
    if not real.is_relative_to(builds):
        raise RequestError(f"aab_path: {path!r} is not under the policy's builds_dir ({builds})")
    if not real.is_file():
        raise RequestError(f"aab_path: {path!r} is not a regular file")
    try:
        with zipfile.ZipFile(real) as bundle:
            names = set(bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        raise RequestError(f"aab_path: {path!r} is not an Android App Bundle (not a zip)") from None
    if BUNDLE_MARKER not in names:
        raise RequestError(f"aab_path: {path!r} is not an Android App Bundle (no {BUNDLE_MARKER})")
    return real
