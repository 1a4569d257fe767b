#!/usr/bin/env python3
"""Reports in a real browser (docs/report.md): headless Chromium opens reports of real runs,
and the numbers in the page's tables are checked against the kernel's own counts for the same
run (--stats, and the debugger's !memusage and !address -summary at the same stop). The page
must report no error, console or script, and render in under 2 s; screenshots of each view
are kept in the artifacts folder.

    report_browser_test.py --ntoy NTOY --images DIR --artifacts DIR CASE

CASE is one of: demo, debugger, processes, paging, large. Exit status 0 when every
check passed, 1 when one failed (each failure is printed), 77 when Chromium is not installed
(CTest shows the test as skipped, with the message).
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
VIEWS = ["address", "physical", "timeline", "compare", "pools"]
RENDER_LIMIT_MS = 2000
SIZE_LIMIT = 10 * 1024 * 1024

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)
    return condition


def equal(got, want, what):
    # Both sides unreadable is a failure too, not a match.
    return check(want is not None and got == want,
                 f"{what}: the page shows {got!r}, the kernel says {want!r}")


# ---- a DOM from Chromium's --dump-dom -------------------------------------------------------

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []

    def all(self, tag=None, **attrs):
        """Every element below, in document order, with the tag and attribute values given
        (attribute names with _ for -: data_kind="x")."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}

        def matches(node, name, want):
            have = node.attrs.get(name)
            if name == "class":  # one of its classes
                return have is not None and want in have.split()
            return have == want

        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                    matches(child, k, v) for k, v in wanted.items()):
                yield child
            yield from child.all(tag, **attrs)

    def first(self, tag=None, **attrs):
        return next(self.all(tag, **attrs), None)

    def content(self):
        return "".join(self.text) + "".join(c.content() for c in self.children)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class DomBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.at = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))

    def handle_endtag(self, tag):
        node = self.at
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.at = node.parent

    def handle_data(self, data):
        self.at.text.append(data)


def parse_dom(text):
    builder = DomBuilder()
    builder.feed(text)
    return builder.root


# ---- Chromium --------------------------------------------------------------------------------

def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(browser, args, url):
    profile = tempfile.mkdtemp(prefix="ntoy-chromium-")
    try:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                   f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                   "--virtual-time-budget=15000"] + args + [url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        return done.stdout, done.stderr
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(stderr):
    """The page's console messages that are errors: uncaught exceptions and console.error."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and re.search(r"Uncaught|Error|error|ERROR", line)]


def open_report(browser, path, name):
    """Loads the report, checks that it rendered cleanly and fast; returns its DOM."""
    dom_text, stderr = run_chromium(browser, ["--dump-dom"], "file://" + os.path.abspath(path))
    errors = console_errors(stderr)
    check(not errors, f"{name}: console errors: {errors}")
    dom = parse_dom(dom_text)
    body = dom.first("body")
    if not check(body is not None, f"{name}: no body in the dumped DOM"):
        return dom
    check(body.attrs.get("data-ready") == "1", f"{name}: the page did not finish rendering")
    check(body.attrs.get("data-errors") == "0",
          f"{name}: the page caught {body.attrs.get('data-errors')} errors")
    render_ms = float(body.attrs.get("data-render-ms", "inf"))
    check(render_ms < RENDER_LIMIT_MS,
          f"{name}: rendering took {render_ms:.0f} ms (limit {RENDER_LIMIT_MS})")
    print(f"{name}: rendered in {render_ms:.0f} ms, {os.path.getsize(path)} bytes")
    return dom


def screenshots(browser, path, artifacts, name):
    for view in VIEWS:
        shot = os.path.join(artifacts, f"{name}-{view}.png")
        run_chromium(browser, ["--window-size=1400,1100", f"--screenshot={shot}"],
                     "file://" + os.path.abspath(path) + "#" + view)
        check(os.path.exists(shot) and os.path.getsize(shot) > 10000,
              f"{name}: no screenshot of the {view} view")


# ---- reading the page and the kernel --------------------------------------------------------

def model_of(path):
    text = open(path, encoding="utf-8").read()
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text,
                      re.S)
    return json.loads(found.group(1))


def value(cell):
    return int(cell.attrs["data-value"]) if cell is not None else None


def table_numbers(table, row_key, cell_key):
    """{row's row_key attribute: {cell's cell_key attribute: its data-value}} of a table."""
    rows = {}
    for row in table.all("tr"):
        if row_key in row.attrs:
            rows[row.attrs[row_key]] = {cell.attrs[cell_key]: int(cell.attrs["data-value"])
                                        for cell in row.all("td") if cell_key in cell.attrs}
    return rows


def use_counts(dom, snapshot):
    table = dom.first("table", class_="use-counts", data_snapshot=str(snapshot))
    if not check(table is not None, f"no use-counts table for snapshot {snapshot}"):
        return {}
    return table_numbers(table, "data-use", "data-list")


def vmmap_summary(dom, snapshot, process_id):
    table = dom.first("table", class_="vmmap-summary", data_snapshot=str(snapshot),
                      data_process_id=str(process_id))
    if not check(table is not None, f"no summary table for process {process_id}, snapshot {snapshot}"):
        return {}
    return table_numbers(table, "data-type", "data-field")


def run_ntoy(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)


def stats_of(stderr):
    return json.loads(stderr.strip().splitlines()[-1])


def check_against_stats(dom, model, stats, name):
    """The end-of-run snapshot's frames and the run's fault counters, as --stats prints them."""
    last = len(model["snapshots"]) - 1
    check(model["snapshots"][last]["label"] == "end of run", f"{name}: no end-of-run snapshot")
    counts = use_counts(dom, last)
    total = counts.get("Total", {})
    frames = stats["frames"]
    for column, key in [("Zeroed", "zeroed"), ("Free", "free"), ("Active", "active"),
                        ("Modified", "modified"), ("Standby", "standby"), ("Bad", "bad"),
                        ("Total", "total")]:
        equal(total.get(column), frames[key], f"{name}: end-of-run {column} frames")
    equal(counts.get("Page Table", {}).get("Total"), frames["page_tables"],
          f"{name}: end-of-run page-table frames")
    counters = dom.first("table", id="fault-counters")
    if check(counters is not None, f"{name}: no fault-counters table"):
        for kind, count in stats["page_faults"].items():
            equal(value(counters.first("td", data_kind=kind)), count, f"{name}: {kind} faults")
    processes = dom.first("table", id="processes")
    if check(processes is not None, f"{name}: no processes table"):
        for p in stats["processes"]:
            row = processes.first("tr", data_process_id=str(p["id"]))
            if check(row is not None, f"{name}: process {p['id']} is not listed"):
                equal(value(row.first("td", data_field="peak_commit_pages")), p["peak_commit"],
                      f"{name}: process {p['id']} peak commit")
                equal(value(row.first("td", data_field="peak_working_set_pages")),
                      p["peak_working_set"], f"{name}: process {p['id']} peak working set")


def check_summary_matches_model(dom, model, name):
    """Every summary table the page drew is its model's, number for number."""
    for s, snapshot in enumerate(model["snapshots"]):
        for process in snapshot["processes"]:
            shown = vmmap_summary(dom, s, process["process_id"])
            for row in process["summary"]:
                for field in ("size", "committed", "working_set", "private", "locked", "blocks"):
                    equal(shown.get(row["type"], {}).get(field), row[field],
                          f"{name}: snapshot {s} process {process['process_id']} "
                          f"{row['type']} {field}")


# ---- the cases -------------------------------------------------------------------------------

def case_demo(opts, browser):
    """touch_demo: --report against --stats; ntoy report from the trace builds the same."""
    report = os.path.join(opts.artifacts, "demo.html")
    trace = os.path.join(opts.artifacts, "demo.jsonl")
    done = run_ntoy([opts.ntoy, "run", "--stats", "--report", report, "--trace", trace,
                     os.path.join(opts.images, "touch_demo.exe")])
    if not check(done.returncode == 0, f"demo: ntoy run failed: {done.stderr}"):
        return
    stats = stats_of(done.stderr)
    model = model_of(report)
    again = os.path.join(opts.artifacts, "demo-from-trace.html")
    built = run_ntoy([opts.ntoy, "report", trace, "-o", again])
    if check(built.returncode == 0, f"demo: ntoy report failed: {built.stderr}"):
        other = model_of(again)
        model_copy = dict(model)
        model_copy.pop("source")
        other.pop("source")
        check(model_copy == other, "demo: the report from the trace differs from --report's")
    dom = open_report(browser, report, "demo")
    check(os.path.getsize(report) < SIZE_LIMIT, "demo: the report is over 10 MB")
    check_against_stats(dom, model, stats, "demo")
    check_summary_matches_model(dom, model, "demo")
    totals = dom.first("table", id="fault-totals")
    if check(totals is not None, "demo: no fault-totals table"):
        equal(value(totals.first("td", data_kind="demand-zero")),
              stats["page_faults"]["demand_zero"], "demo: demand-zero fault events")
        equal(value(totals.first("td", data_kind="copy-on-write")),
              stats["page_faults"]["copy_on_write"], "demo: copy-on-write fault events")
    screenshots(browser, report, opts.artifacts, "demo")


def number_after(text, label, base=10):
    found = re.search(re.escape(label) + r"\s+([0-9a-fA-F`]+)", text)
    return int(found.group(1).replace("`", ""), base) if found else None


def summary_size(text, row):
    """!address -summary's Total Size of a row."""
    found = re.search(r"\n" + re.escape(row) + r" +[0-9]+ +([0-9a-f`]+) ", text)
    return int(found.group(1).replace("`", ""), 16) if found else None


def case_debugger(opts, browser):
    """.report at a stop against !memusage, !vm and !address -summary at the same stop."""
    report = os.path.join(opts.artifacts, "debugger.html")
    commands = os.path.join(opts.artifacts, "debugger.cmds")
    with open(commands, "w") as f:
        f.write("c\n" * 12 + "!memusage\n!vm\n!address -summary\n.report " + report +
                "\nbreak-on none\nc\n")
    done = run_ntoy([opts.ntoy, "debug", "--batch", commands,
                     os.path.join(opts.images, "touch_pages.exe"), "40"])
    out = done.stdout
    if not check(done.returncode == 0 and "report written to " + report in out,
                 f"debugger: the session did not write the report:\n{out}\n{done.stderr}"):
        return
    model = model_of(report)
    now = len(model["snapshots"]) - 1
    check(model["snapshots"][now]["label"] == "now (debugger)", "debugger: no 'now' snapshot")
    check(model["default_snapshot"] == now, "debugger: the views do not open on 'now'")
    dom = open_report(browser, report, "debugger")
    total = use_counts(dom, now).get("Total", {})
    for column, label in [("Zeroed", "Zeroed:"), ("Free", "Free:"), ("Standby", "Standby:"),
                          ("Modified", "Modified:"), ("ModifiedNoWrite", "ModifiedNoWrite:"),
                          ("Active", "Active/Valid:"), ("Transition", "Transition:"),
                          ("Bad", "Bad:"), ("Total", "TOTAL:")]:
        equal(total.get(column), number_after(out, label), f"debugger: {column} against !memusage")
    counts = use_counts(dom, now)
    for column, label in [("Zeroed", "Zeroed Pages:"), ("Free", "Free Pages:"),
                          ("Active", "Active Pages:"), ("Modified", "Modified Pages:"),
                          ("Standby", "Standby Pages:"), ("Bad", "Bad Pages:"),
                          ("Total", "Physical Memory:")]:
        equal(total.get(column), number_after(out, label), f"debugger: {column} against !vm")
    for use, label in [("Process Private", "Private Pages:"), ("Mapped Image", "Image Pages:"),
                       ("Page Table", "Page Table Pages:")]:
        equal(counts.get(use, {}).get("Total"), number_after(out, label),
              f"debugger: {use} frames against !vm")
    kernel = sum(counts.get(use, {}).get("Total", 0)
                 for use in ("Paged Pool", "Nonpaged Pool", "Kernel"))
    equal(kernel, number_after(out, "Kernel Pages:"), "debugger: kernel frames against !vm")
    process = model["snapshots"][now]["processes"][0]
    shown = vmmap_summary(dom, now, process["process_id"])
    for row, usage in [("Image", "Image"), ("Stack", "Stack"), ("Free", "Free")]:
        equal(shown.get(row, {}).get("size"), summary_size(out, usage),
              f"debugger: {row} size against !address -summary")
    private = sum(shown.get(t, {}).get("size", 0) for t in ("Private", "Heap", "Stack"))
    equal(private, summary_size(out, "MEM_PRIVATE"), "debugger: private sizes against MEM_PRIVATE")
    committed = shown.get("Total", {}).get("committed", 0) - shown.get("Page Table", {}).get(
        "committed", 0)
    equal(committed, summary_size(out, "MEM_COMMIT"), "debugger: committed against MEM_COMMIT")
    check_summary_matches_model(dom, model, "debugger")


def case_processes(opts, browser):
    """isolation: eight processes write the same virtual address, each to its own frame."""
    report = os.path.join(opts.artifacts, "processes.html")
    done = run_ntoy([opts.ntoy, "run", "--stats", "--report", report,
                     os.path.join(opts.images, "isolation.exe")])
    if not check(done.returncode == 0, f"processes: ntoy run failed: {done.stderr}"):
        return
    model = model_of(report)
    dom = open_report(browser, report, "processes")
    check_against_stats(dom, model, stats_of(done.stderr), "processes")
    different = dom.first("span", id="compare-same-va-different-frame")
    check(different is not None and value(different) >= 1,
          "processes: the side-by-side view shows no address mapped to different frames")
    screenshots(browser, report, opts.artifacts, "processes")


def case_paging(opts, browser):
    """A program larger than RAM: every list is live, and soft and hard faults are drawn."""
    report = os.path.join(opts.artifacts, "paging.html")
    done = run_ntoy([opts.ntoy, "run", "--stats", "--ram", "16M", "--pagefile", "64M",
                     "--report", report, os.path.join(opts.images, "page_life.exe")])
    if not check(done.returncode == 0, f"paging: ntoy run failed: {done.stderr}"):
        return
    stats = stats_of(done.stderr)
    model = model_of(report)
    dom = open_report(browser, report, "paging")
    check_against_stats(dom, model, stats, "paging")
    check(stats["page_faults"]["hard"] > 0 and stats["trimmed_pages"] > 0,
          "paging: the run did not page (no hard faults or no trims)")
    screenshots(browser, report, opts.artifacts, "paging")


def case_large(opts, browser):
    """A 100,000-page run: under 10 MB, open in under 2 s."""
    report = os.path.join(opts.artifacts, "large.html")
    done = run_ntoy([opts.ntoy, "run", "--stats", "--ram", "512M", "--report", report,
                     os.path.join(opts.images, "touch_pages.exe"), "100000"])
    if not check(done.returncode == 0, f"large: ntoy run failed: {done.stderr}"):
        return
    size = os.path.getsize(report)
    check(size < SIZE_LIMIT, f"large: the report is {size} bytes (limit {SIZE_LIMIT})")
    model = model_of(report)
    dom = open_report(browser, report, "large")
    check_against_stats(dom, model, stats_of(done.stderr), "large")
    equal(model["snapshots"][0]["physical"]["total"], 131072, "large: frames in 512 MB")


CASES = {"demo": case_demo, "debugger": case_debugger, "processes": case_processes,
         "paging": case_paging, "large": case_large}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ntoy", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    opts = parser.parse_args()
    browser = chromium()
    if browser is None:
        print("SKIPPED: Chromium is not installed (Debian: apt-get install chromium; "
              "./ntoy.sh installs it)")
        return SKIP
    os.makedirs(opts.artifacts, exist_ok=True)
    CASES[opts.case](opts, browser)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"{opts.case}: every check passed; artifacts in {opts.artifacts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
