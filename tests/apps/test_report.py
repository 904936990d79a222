"""The apps' report and live dashboard, checked in a real browser (Debian's chromium, headless):
--report writes one self-contained page that renders with no JavaScript error; --report-data
writes the same data as CSV and JSON, consistent with each other; --dashboard serves the running
job's page only with its token, the page changes while the job runs, and the job's result is the
same as without it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apptest import AppTest, RANKS, ROOT, BUILD, app, main  # noqa: E402

FRAME = "pando-frame"
ARRAY = "pando-array"
CHROMIUM = shutil.which("chromium")


def browser(url, *mode, budget_ms=None):
    """Runs headless chromium on `url` (`mode`: --dump-dom, or --screenshot=PATH); returns its
    stdout and stderr."""
    profile = tempfile.mkdtemp(prefix="pando-chromium-")
    try:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,1600",
               "--enable-logging=stderr", "--v=0"]
        if budget_ms:
            cmd.append(f"--virtual-time-budget={budget_ms}")
        p = subprocess.run(cmd + list(mode) + [url], capture_output=True, text=True, timeout=90)
        return p.stdout, p.stderr
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def page_state(dom):
    """What the rendered page says about itself: how often it drew, and any JavaScript error."""
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    return int(attrs.get("rendered", "0")), attrs.get("js-error")


def tasks_done(dom):
    m = re.search(r'id="tasks-done">([\d,]+)<', dom)
    return int(m.group(1).replace(",", "")) if m else None


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


class ReportTest(AppTest):
    @classmethod
    def setUpClass(cls):
        if not CHROMIUM:
            raise RuntimeError("chromium is missing: `make deps` installs it (cmake/packages.txt)")
        cls.data = tempfile.mkdtemp(prefix="pando-apptest-report-")
        r = app("pando-gen", "table", "--rows", "200000", "--files", "3", "--out", cls.data,
                ranks=1)
        assert r.code == 0, r
        cls.glob = os.path.join(cls.data, "transactions-*.csv")
        cls.array = os.path.join(cls.data, "x.h5") + ":/x"
        r = app("pando-gen", "array", "--shape", "3000,3000", "--chunks", "500,500", "--out",
                cls.array, ranks=1)
        assert r.code == 0, r

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    def test_report_and_its_data_agree_and_the_page_renders(self):
        page, folder = self.path("run.html"), self.path("run-data")
        args = ["eval", "x + x.T", "--bind", f"x={self.array}", "--reduce", "sum"]
        out = self.ok(ARRAY, *args, "--report", page, "--report-data", folder)
        self.assertSameAtOneRank(out, ARRAY, *args)
        with open(page) as f:
            html = f.read()
        # Self-contained: nothing to fetch from anywhere.
        for outside in ("http://", "https://", "<link", " src="):
            self.assertNotIn(outside, html)
        with open(os.path.join(folder, "report.json")) as f:
            report = json.load(f)
        facts = report["facts"]
        self.assertEqual(facts["ranks"], RANKS)
        self.assertEqual(len(facts["hosts"]), RANKS)
        self.assertIn("--report", facts["command"])
        self.assertFalse(facts["live"])
        with open(os.path.join(folder, "tasks.csv")) as f:
            tasks = f.read().splitlines()
        self.assertEqual(len(tasks) - 1, facts["spans"])
        self.assertEqual(sorted({int(t.split(",")[1]) for t in tasks[1:]}), list(range(RANKS)))
        with open(os.path.join(folder, "transfers.csv")) as f:
            moved = [l.split(",") for l in f.read().splitlines()[1:]]
        self.assertEqual(sum(int(m[4]) for m in moved), sum(report["bytes"]))
        if RANKS > 1:
            self.assertGreater(sum(report["bytes"]), 0, "x.T moves blocks between ranks")
        self.assertTrue(report["critical"], "no critical path")
        # The page in a real browser: drawn once, no JavaScript error, not blank.
        dom, log = browser("file://" + page, "--dump-dom")
        rendered, error = page_state(dom)
        self.assertIsNone(error, log)
        self.assertEqual(rendered, 1, log)
        self.assertNotIn("Uncaught", log)
        self.assertEqual(tasks_done(dom), sum(c["done"] for c in report["computations"]))
        shot = self.path("run.png")
        browser("file://" + page, f"--screenshot={shot}")
        self.assertEqual(png_size(shot), (1200, 1600))
        self.assertGreater(os.path.getsize(shot), 30_000, "a blank page?")

    def test_report_is_written_only_when_the_command_succeeds(self):
        page = self.path("never.html")
        self.fails(FRAME, self.glob, "--groupby", "no_such_column", "--agg", "amount:sum", "--report", page,
                   message="no_such_column")
        self.assertFalse(os.path.exists(page))

    def test_dashboard_shows_the_running_job_to_its_token_only(self):
        # A job of several seconds: many small blocks.
        args = ["eval", "sin(x)**2 + cos(x)**2 + x", "--bind", f"x={self.array}",
                "--chunks", "6,6", "--reduce", "sum"]
        cmd = [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(RANKS),
               os.path.join(BUILD, "apps", ARRAY), *args, "--dashboard", "0"]
        env = dict(os.environ, PANDO_PROGRESS="off")
        job = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
        try:
            line = job.stderr.readline()
            m = re.match(r"pando: dashboard at (http://127\.0\.0\.1:(\d+)/)\?token=([0-9a-f]{32})$",
                         line.strip())
            self.assertTrue(m, line)
            base, token = m.group(1), m.group(3)
            for wrong in ("", "?token=", "?token=" + "0" * 32, "data", "data?token=x"):
                with self.assertRaises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(base + wrong, timeout=10)
                self.assertEqual(e.exception.code, 403, wrong)
            with urllib.request.urlopen(f"{base}data?token={token}", timeout=10) as r:
                self.assertTrue(json.load(r)["facts"]["live"])
            url = f"{base}?token={token}"
            # The browser shares the job's two cores: each run takes seconds, so the job is
            # long enough for three.
            dom, log = browser(url, "--dump-dom", budget_ms=1500)
            rendered, error = page_state(dom)
            self.assertIsNone(error, log)
            self.assertGreaterEqual(rendered, 1, log)
            self.assertIsNotNone(tasks_done(dom), dom[:2000])
            shots = [self.path("live-1.png"), self.path("live-2.png")]
            for shot in shots:
                browser(url, f"--screenshot={shot}", budget_ms=1500)
            self.assertIsNone(job.poll(), "the job ended before the second screenshot")
            with open(shots[0], "rb") as a, open(shots[1], "rb") as b:
                self.assertNotEqual(a.read(), b.read(), "the page did not change")
            self.assertGreater(os.path.getsize(shots[1]), 30_000, "a blank page?")
            out, err = job.communicate(timeout=300)
        finally:
            if job.poll() is None:
                job.kill()
                job.communicate()
        self.assertEqual(job.returncode, 0, err)
        self.assertSameAtOneRank(out, ARRAY, *args)


if __name__ == "__main__":
    main()
