"""The run log writes dvclive's layout, which DVC reads as plots and metrics."""
import json

from synthmix.core.live import RunLog


def test_run_log_writes_curves_and_summary_in_dvclives_layout(tmp_path):
    log = RunLog(tmp_path / "run")
    log.log(1, {"loss": 0.5, "acc": 0.25})
    log.log(2, {"loss": 0.125})
    log.log(3, {"fid_judge": 1.5})
    log.summary.update(best_epoch=2)
    log.end()
    assert (tmp_path / "run/plots/metrics/loss.tsv").read_text() == "step\tloss\n1\t0.5\n2\t0.125\n"
    assert (tmp_path / "run/plots/metrics/acc.tsv").read_text() == "step\tacc\n1\t0.25\n"
    summary = json.loads((tmp_path / "run/metrics.json").read_text())
    assert summary == {"loss": 0.125, "acc": 0.25, "fid_judge": 1.5, "step": 3, "best_epoch": 2}
