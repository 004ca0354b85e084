# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Filters the roles use; the logic lives in module_utils (unit tested)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import glob
import importlib
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.dce5.skoala.plugins.module_utils import (
    backup, bundle, chart_repo, fleet_plans, fleet_workloads, helm_upgrade, images, input_checks, jobs, kubeconfig,
    lock, machines, preflight, release_backups, release_work, releases, report, run_id, secrets, stale_jobs, status,
    unfinished, upgrade_failure, versions, workloads)


def fleet_problems(plans_by_host):
    return versions.fleet_problems(plans_by_host) + fleet_plans.refusals(plans_by_host)


def plain(value):
    """Ansible's lazy containers as plain dicts and lists, so PyYAML and
    json can handle them."""
    if isinstance(value, dict) or hasattr(value, "items") and not isinstance(value, (str, bytes)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# Filters given Ansible's hostvars, or one host's: they read a few variables
# by name. Made plain whole, every variable of every host would be templated,
# which is slow in a large fleet and fails on any variable that cannot be
# templated where the filter runs (a failed host's, say).
READ_BY_NAME = ("report_input", "one_per_machine", "same_machine", "fleet_groups", "stale_jobs_requests",
                "verify_requests", "helm_upgrade_requests")


def sanitized(name, func):
    """Run ``func`` on plain inputs. Ansible prints a failing filter's
    exception even for no_log tasks, and many inputs here hold the DSN: the
    error names the filter and the kind of failure, never the data."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            if name in READ_BY_NAME:
                return plain(func(*args, **kwargs))
            return func(*[plain(a) for a in args], **{k: plain(v) for k, v in kwargs.items()})
        except Exception as exc:  # noqa: BLE001 - re-raised without its (secret) arguments
            raise AnsibleFilterError("dce5.skoala.%s failed (%s); its input is not shown because it may hold secrets"
                                     % (name, type(exc).__name__)) from None
    return wrapper


PLUGINS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def plugin_modules():
    """The collection's action and lookup plugins and its modules, as Python
    modules below ``plugins``, such as ``action.helm_upgrade``: whatever those
    directories hold."""
    return ["%s.%s" % (kind, os.path.basename(path)[:-3])
            for kind in ("action", "lookup", "modules")
            for path in sorted(glob.glob(os.path.join(PLUGINS_DIR, kind, "*.py")))
            if os.path.basename(path) != "__init__.py"]


def plugins_loaded(_value=None):
    """True once this process holds the collection's plugins: imported with
    this module, the filters and the module_utils they use; here, the action
    and lookup plugins, and the modules with the Kubernetes client they
    import, for the modules run in the worker process (plugin_utils/in_worker.py).
    Ansible forks a process per cluster and task from its main one, and a
    plugin the main process lacks is imported in each of them (about 50 ms a
    time, the Kubernetes client 0.4 s; bench/README.md); a meta task's
    condition, evaluated in the main process, calls this once for the run
    (role preflight)."""
    for name in plugin_modules():
        module = "ansible_collections.dce5.skoala.plugins." + name
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - an install problem, named with its cause (no data in it)
            raise AnsibleFilterError("dce5.skoala.plugins_loaded: cannot import %s (%s: %s); check the collection's "
                                     "installation and its Python requirements" % (module, type(exc).__name__, exc)) from None
    return True


FILTERS = {
    "release_summary": releases.release_summary,
    "release_summaries": releases.release_summaries,
    "helm_read_of": releases.helm_read_of,
    "deployed_problem": releases.deployed_problem,
    "unready_pods": workloads.unready_pods,
    "with_warnings": fleet_plans.with_warnings,
    "cluster_warnings": fleet_plans.cluster_warnings,
    "one_per_machine": machines.one_per_machine,
    "same_machine": machines.same_machine,
    "fleet_changes": fleet_plans.fleet_changes,
    "fleet_groups": fleet_plans.fleet_groups,
    "secrets_in": secrets.secrets_in,
    "redact": secrets.redact,
    "strip_url_credentials": secrets.strip_url_credentials,
    "backup_files": backup.backup_files,
    "backup_private_files": backup.backup_private_files,
    "backup_index": backup.backup_index,
    "backup_run_problems": release_backups.run_problems,
    "backup_run_of": release_backups.run_of,
    "backup_requests": release_backups.requests_of,
    "stale_jobs_requests": stale_jobs.requests_of,
    "stale_jobs_of": stale_jobs.result_of,
    "verify_requests": fleet_workloads.verify_requests,
    "verify_of": fleet_workloads.result_of,
    "helm_upgrade_request": helm_upgrade.noted_request,  # its many arguments by name, in one dict
    "helm_upgrade_requests": helm_upgrade.requests_of,
    "backup_values_by_component": backup.backup_values_by_component,
    "rollback_argv": backup.rollback_argv,
    "rollback_failure": backup.rollback_failure,
    "rollback_table": backup.rollback_table,
    "set_values": images.set_values,
    "expected_images": images.expected_images,
    "node_cli": images.node_cli,
    "report_document": report.document,
    "report_table": report.table,
    "report_markdown": report.markdown,
    "report_files": report.files,
    "report_input": report.report_input,
    "report_with_start": report.with_start,
    "report_merge": report.merge,
    "report_parts": report.parts_of,
    "status_document": status.document,
    "status_table": status.table,
    "status_files": status.files,
    "status_problems": status.exit_problems,
    "status_plans": status.plans_by_cluster,
    "chart_versions": releases.chart_versions,
    "kubeconfig_summary": kubeconfig.kubeconfig_summary,
    "input_problems": input_checks.input_problems,
    "components_problem": preflight.components_problem,
    "preflight_input_problems": preflight.input_problems,
    "preflight_cluster_problems": preflight.cluster_problems,
    "preflight_plans": preflight.fleet,
    "machine_problems": preflight.machine_problems,
    "fleet_table": fleet_plans.fleet_table,
    "fleet_problems": fleet_problems,
    "offline_images": bundle.offline_images,
    "rendered_images": bundle.rendered_images,
    "chart_ref": bundle.chart_ref,
    "target_ref": bundle.target_ref,
    "charts_syncer_config": bundle.charts_syncer_config,
    "image_registry": bundle.image_registry,
    "chartrepo_upload_url": bundle.chartrepo_upload_url,
    "run_id": run_id.new_run_id,
    "release_work": release_work.work_of,
    "unfinished_record": unfinished.configmap,
    "unfinished_record_name": unfinished.configmap_name,
    "job_references": jobs.references,
    "needs_rollback": upgrade_failure.needs_rollback,
    "rollback_of": upgrade_failure.rollback_of,
    "upgrade_failure": upgrade_failure.message_of,  # its many arguments by name, in one dict
    "lock_identity": lock.identity,
    "lock_fleet_refusal": lock.fleet_refusal,
    "lock_releasable_by_run": lock.releasable_by_run,
    "lock_phase_problem": lock.phase_problem,
    "pending_plans": versions.pending_plans,
    "repo_index_problem": chart_repo.index_problem,
    "repo_refresh_failure": chart_repo.refresh_failure,
}


class FilterModule(object):
    def filters(self):
        filters = {name: sanitized(name, func) for name, func in FILTERS.items()}
        # Its input is a constant and its error an install problem: shown as it is.
        filters["plugins_loaded"] = plugins_loaded
        return filters
