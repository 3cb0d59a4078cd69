"""python3 -m unittest discover -s tools/plots/tests -t .   (standard library only)"""
import os
import shutil
import sys
import tempfile
import unittest
from xml.dom import minidom

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import plots  # noqa: E402
import svgplot  # noqa: E402


def parse(path):
    doc = minidom.parse(path)  # raises on malformed XML
    root = doc.documentElement
    assert root.tagName == "svg" and root.getAttribute("xmlns") == "http://www.w3.org/2000/svg", path
    return root


class PlotsTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="loraflow-plots-")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def test_bench_draws_every_charted_case_of_a_report(self):
        paths = plots.bench(os.path.join(HERE, "fixture-report.json"), self.out)
        self.assertEqual(sorted(os.path.basename(p) for p in paths),
                         ["batching-latency.svg", "batching.svg", "latency.svg", "memory.svg"])
        bars = [r for r in parse(os.path.join(self.out, "batching.svg")).getElementsByTagName("rect")
                if r.getElementsByTagName("title")]
        self.assertEqual(3, len(bars), "one bar per configuration")
        self.assertIn("4 200", bars[2].getElementsByTagName("title")[0].firstChild.data)
        latency = [r for r in parse(os.path.join(self.out, "batching-latency.svg")).getElementsByTagName("rect")
                   if r.getElementsByTagName("title")]
        heights = [float(r.getAttribute("height")) for r in latency]
        self.assertEqual(6, len(latency), "p50 and p99 per configuration")
        self.assertGreater(heights[1], heights[0], "p99 above p50")
        split = [r for r in parse(os.path.join(self.out, "latency.svg")).getElementsByTagName("rect")
                 if r.getElementsByTagName("title")]
        self.assertEqual(8, len(split), "3 + 3 + 2 percentiles: the missing p95 draws no bar")
        lines = parse(os.path.join(self.out, "memory.svg")).getElementsByTagName("polyline")
        self.assertEqual(3, len(lines), "RSS, heap, non-heap")
        self.assertEqual(3, len(lines[0].getAttribute("points").split()))

    def test_training_draws_accuracy_and_loss_per_dataset(self):
        paths = plots.training(os.path.join(HERE, "fixture-history.jsonl"), self.out)
        self.assertEqual(sorted(os.path.basename(p) for p in paths),
                         ["training-digits.svg", "training-fashion-mnist.svg",
                          "training-loss-digits.svg", "training-loss-fashion-mnist.svg"])
        root = parse(os.path.join(self.out, "training-digits.svg"))
        lines = root.getElementsByTagName("polyline")
        self.assertEqual([2, 2], [len(p.getAttribute("points").split()) for p in lines],
                         "epochs without a test evaluation are skipped")
        legend = [t.firstChild.data for t in root.getElementsByTagName("text")]
        self.assertIn("lora", legend)
        self.assertIn("full (from scratch)", legend)
        fashion = parse(os.path.join(self.out, "training-fashion-mnist.svg"))
        self.assertIn("transcribed", [t.firstChild.data for t in fashion.getElementsByTagName("text")],
                      "a row's run field names its line")
        loss = parse(os.path.join(self.out, "training-loss-fashion-mnist.svg"))
        self.assertNotIn("transcribed", [t.firstChild.data for t in loss.getElementsByTagName("text")],
                         "a run without losses has no loss line")

    def test_bad_input_names_what_is_wrong(self):
        cases = [(plots.training, "h.jsonl", '{"dataset": "digits", "mode": "lora", "epoch": 1, "loss": 1}\n'
                  '{"epoch": 2}\n', "h.jsonl:2"),
                 (plots.bench, "r.json", '{"cases": {"pipeBound": {}}}', "none of the cases")]
        for draw, name, text, message in cases:
            path = os.path.join(self.out, name)
            with open(path, "w") as f:
                f.write(text)
            with self.assertRaises(SystemExit) as e:
                draw(path, self.out)
            self.assertIn(message, str(e.exception))

    def test_axes(self):
        self.assertEqual([0, 1000, 2000, 3000, 4000, 5000], svgplot.nice_ticks(0, 4200))
        self.assertEqual([10, 20, 50, 100, 200, 500, 1000, 2000, 5000], svgplot.log_ticks(11.8, 3318))
        self.assertEqual([100, 200], svgplot.log_ticks(100, 100))
        with self.assertRaises(ValueError):
            svgplot.log_ticks(0, 10)


if __name__ == "__main__":
    unittest.main()
