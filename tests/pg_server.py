"""A throwaway PostgreSQL server for the tests and benchmarks: initdb and pg_ctl in a temporary folder,
listening on a free loopback port only, stopped and removed at the end.

PostgreSQL refuses to run as root: under root the server runs as the ``postgres`` user (Debian's
package creates it) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from etl.publish.local import free_port


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


@dataclass
class Server:
    folder: Path
    port: int
    prefix: list[str]
    bin: Path
    user: str = "papershelf"

    def url(self, database: str = "papershelf") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast",
                        "-w", "stop"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(settings: dict[str, str] | None = None) -> Server:
    """Start a server with a ``papershelf`` superuser (trust authentication, loopback only) and an
    empty database ``papershelf``. Raises RuntimeError when PostgreSQL is not installed."""
    import psycopg

    folder_bin = binaries()
    if folder_bin is None:
        raise RuntimeError("PostgreSQL server programs (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="papershelf-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError("PostgreSQL does not run as root and there is no postgres user to run it as") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    server = Server(folder, port, prefix, folder_bin)
    try:
        subprocess.run([*prefix, str(folder_bin / "initdb"), "-D", str(folder / "data"), "-U", server.user,
                        "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        options = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(folder),
                   "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                   **(settings or {})}
        flags = " ".join(f"-c {name}={value}" for name, value in options.items())
        subprocess.run([*prefix, str(folder_bin / "pg_ctl"), "-D", str(folder / "data"), "-o", flags,
                        "-l", str(folder / "log"), "-w", "-t", "60", "start"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE papershelf")
    except BaseException:
        server.stop()
        raise
    return server
