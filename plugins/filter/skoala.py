# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Filters the roles use; the logic lives in module_utils (unit tested)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dce5.skoala.plugins.module_utils import fleet, report, versions


def fleet_problems(plans_by_host):
    return versions.fleet_problems(plans_by_host) + fleet.refusals(plans_by_host)


class FilterModule(object):
    def filters(self):
        return {
            "release_summary": fleet.release_summary,
            "release_summaries": fleet.release_summaries,
            "unready_pods": fleet.unready_pods,
            "with_warnings": fleet.with_warnings,
            "secrets_in": fleet.secrets_in,
            "redact": fleet.redact,
            "backup_files": fleet.backup_files,
            "backup_index": fleet.backup_index,
            "set_values": fleet.set_values,
            "expected_images": fleet.expected_images,
            "report_document": report.document,
            "report_table": report.table,
            "report_markdown": report.markdown,
            "report_input": report.report_input,
            "chart_versions": fleet.chart_versions,
            "kubeconfig_summary": fleet.kubeconfig_summary,
            "input_problems": fleet.input_problems,
            "fleet_table": fleet.fleet_table,
            "fleet_problems": fleet_problems,
        }
