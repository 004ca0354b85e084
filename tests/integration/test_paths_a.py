"""Path matrix, part 1: from the older baselines (the DB upgrade boundary, a
patch upgrade, 0.19.2 to 0.35.1 and to 0.57.0), and the fixture's
faithfulness (see path_matrix.py for what each path must do)."""
import pytest

from path_matrix import ADMISSION_JOBS, PATHS, admission_job_versions, case_id, run_path
from sandbox import NAMESPACE


@pytest.mark.parametrize("case", PATHS[:5], ids=[case_id(c) for c in PATHS[:5]])
def test_path(matrix_fleet, tmp_path, case):
    run_path(matrix_fleet, tmp_path, case)


def test_fixture_admission_jobs_block_an_upgrade_that_keeps_them(matrix_fleet):
    """The fixture is faithful to the vendor's page: without deleting the
    admission Jobs first, a plain helm upgrade of skoala-init fails."""
    fleet = matrix_fleet
    worker = fleet.workers[0]
    fleet.box.install_baseline(worker, "skoala-init", "0.28.1")
    matrix_fleet._matrix_at = None
    assert admission_job_versions(fleet, worker) == {j: "v0.28.1" for j in ADMISSION_JOBS}
    plain = fleet.helm(worker, "upgrade", "skoala-init", "sandbox/skoala-init", "--version", "0.37.0",
                       "-n", NAMESPACE, "--reuse-values", check=False)
    assert plain.returncode != 0
    assert "gateway-api-admission" in plain.stderr and "field is immutable" in plain.stderr, plain.stderr
