"""The apps' diagnostics: --trace writes a Chrome trace that Perfetto opens (one track per rank,
no overlapping slices on a track, transfer arrows that begin and end); --progress shows lines in
a log file and redraws one line on a terminal (run under script(1)), ends with a summary line
that counts the tasks of every rank, and leaves a failed command's error as the last line;
--graph draws each computation with Graphviz before it runs.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apptest import AppTest, BUILD, RANKS, ROOT, app, main  # noqa: E402

FRAME = "pando-frame"
GROUPBY = ["--groupby", "category", "--agg", "amount:sum", "--sort", "amount_sum:desc"]


class DiagTest(AppTest):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="pando-apptest-diag-")
        r = app("pando-gen", "table", "--rows", "300000", "--files", "3", "--out", cls.data,
                ranks=1)
        assert r.code == 0, r
        cls.glob = os.path.join(cls.data, "transactions-*.csv")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    def test_trace_has_a_track_per_rank_without_overlaps(self):
        path = self.path("trace.json")
        self.ok(FRAME, self.glob, *GROUPBY, "--trace", path, "--chunk-size", "2000000")
        with open(path) as f:
            events = json.load(f)["traceEvents"]
        tracks = {e["tid"]: e["args"]["name"] for e in events
                  if e.get("ph") == "M" and e.get("name") == "thread_name"}
        self.assertEqual(tracks, {r: f"rank {r}" for r in range(RANKS)})
        slices = {}
        for e in events:
            if e.get("ph") == "X" and e.get("cat") == "task":
                slices.setdefault(e["tid"], []).append((e["ts"], e["dur"], e["name"]))
        self.assertEqual(sorted(slices), list(range(RANKS)), "a rank without a task")
        for rank, spans in slices.items():
            spans.sort()
            for (ts, dur, name), (next_ts, _, next_name) in zip(spans, spans[1:]):
                self.assertLessEqual(ts + dur, next_ts + 1e-3, f"rank {rank}: {name} overlaps "
                                     f"{next_name}")
        names = {name for spans in slices.values() for _, _, name in spans}
        self.assertTrue(any("csv" in n for n in names), names)
        starts = sorted(e["id"] for e in events if e.get("ph") == "s")
        ends = sorted(e["id"] for e in events if e.get("ph") == "f")
        self.assertEqual(starts, ends, "an arrow without its other end")
        computations = [e for e in events if e.get("cat") == "computation"]
        self.assertGreater(len(computations), 0)

    def test_trace_that_cannot_be_written_is_the_error(self):
        path = self.path("no-such-folder", "trace.json")
        line = self.fails(FRAME, self.glob, *GROUPBY, "--trace", path, timeout=60)
        self.assertIn("no-such-folder", line)
        self.assertFalse(os.path.exists(os.path.dirname(path)))

    def test_progress_lines_in_a_log_count_every_rank(self):
        r = self.app(FRAME, self.glob, *GROUPBY, "--progress", "on")
        self.assertEqual(r.code, 0, r)
        lines = [l for l in r.err.splitlines() if l.strip()]
        self.assertTrue(lines and all(l.startswith("pando: ") for l in lines), r.err)
        self.assertNotIn("\r", r.err)
        self.assertRegex(lines[-1], rf"^pando: done: [\d,]+ tasks in \d+ computations? on "
                                    rf"{RANKS} ranks?, ")
        # The same tasks at any rank count: every rank's are counted.
        tasks = int(lines[-1].split()[2].replace(",", ""))
        self.assertGreaterEqual(tasks, RANKS)
        self.assertEqual(self.ok(FRAME, self.glob, *GROUPBY), r.out)

    def test_progress_redraws_one_line_on_a_terminal(self):
        command = [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(RANKS),
                   os.path.join(BUILD, "apps", FRAME), self.glob, *GROUPBY, "--progress", "on"]
        env = dict(os.environ, PANDO_PROGRESS="on")
        # script(1) gives the command a terminal and copies what it shows to its stdout.
        r = subprocess.run(["script", "-qfec", shlex.join(command), "/dev/null"],
                           capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        screen = r.stdout
        self.assertIn("pando: done: ", screen)
        # The summary line is whole (stdout shares the terminal: the results may come before or
        # after it, as the launcher forwards each stream on its own).
        summary = screen[screen.index("pando: done: "):].splitlines()[0]
        self.assertTrue(summary.rstrip().endswith("tasks/s)"), repr(summary))
        drawn = screen.count("\r\x1b[Kpando: [")
        if drawn:  # a command shorter than a redraw shows the summary alone
            self.assertIn("% ", screen)

    def test_error_is_the_last_line_with_progress_on(self):
        bad = self.path("bad.csv")
        with open(bad, "w") as f:
            f.write("a,b\n")
            for i in range(200000):
                f.write(f"{i},{i * 0.5}\n")
            f.write("oops,1\n")
        r = self.app(FRAME, bad, "--dtype", "a=int64", "--agg", "a:sum", "--progress", "on",
                     env={"OMPI_MCA_odls_base_sigkill_timeout": "0"}, timeout=60)
        self.assertNotEqual(r.code, 0, r)
        lines = [l for l in r.err.splitlines() if l.strip() and not l.startswith("[warn] Epoll")]
        self.assertTrue(lines[-1].startswith("pando-frame: error: "), r.err)
        self.assertIn("bad.csv:200002", lines[-1])
        self.assertFalse(any("done:" in l for l in lines), r.err)

    def test_graph_draws_each_computation_before_it_runs(self):
        path = self.path("run.svg")
        out = self.ok(FRAME, self.glob, *GROUPBY, "--head", "3", "--graph", path)
        self.assertEqual(out, self.ok(FRAME, self.glob, *GROUPBY, "--head", "3"))
        pictures = sorted(f for f in os.listdir(self.tmp) if f.endswith(".svg"))
        self.assertIn("run.svg", pictures)
        drawn = ""
        for name in pictures:
            with open(self.path(name)) as f:
                drawn += f.read()
            self.assertTrue(drawn.rstrip().endswith("</svg>"), name)
        self.assertIn(f"rank {RANKS - 1}", drawn)
        self.fails(FRAME, self.glob, "--nulls", "--graph", self.path("run.pdf"),
                   message="an .svg or a .png")

    def test_a_bad_progress_mode_is_a_usage_error(self):
        self.fails(FRAME, self.glob, "--nulls", "--progress", "sometimes", message="--progress")


if __name__ == "__main__":
    main()
