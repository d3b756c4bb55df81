"""Runs started from this process exactly as the UI would start them, executed here.

``execute_in_process`` records runs with no code location: the UI leaves them off the Overview
timeline and warns on re-execution that the job "may be a different version". These runs are
made from the code location as ``dagster dev`` loads it (location ``albumsync``, its
repository, the job's snapshot), then executed in this process: ordinary runs of the code
location for the UI (timeline, re-execution, launchpad), at in-process cost. The demo uses
them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.execution.api import execute_run
from dagster._core.execution.job_execution_result import JobExecutionResult
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.code_location import CodeLocation
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._utils.hosted_user_process import recon_job_from_origin

# As workspace.yaml names them (the UI matches runs to jobs by location and repository).
LOCATION_NAME = "albumsync"
DEFINITIONS_MODULE = "albumsync_dagster.definitions"
REPOSITORY_NAME = "__repository__"  # a Definitions object's repository
ASSET_JOB = "__ASSET_JOB"  # the job the UI's "Materialize" runs


@dataclass
class CodeLocationRuns:
    """Creates runs of the code location's jobs in ``instance`` and executes them here."""

    instance: dg.DagsterInstance
    location: CodeLocation

    def run(
        self,
        job_name: str,
        *,
        run_config: dg.RunConfig | Mapping[str, object] | None = None,
        tags: Mapping[str, str] | None = None,
        asset_selection: Sequence[dg.AssetKey] | None = None,
    ) -> JobExecutionResult:
        """One run of ``job_name`` (of ``asset_selection`` in it), to its end; never raises for
        a failed run (read ``result.success``)."""
        repository = self.location.get_repository(REPOSITORY_NAME)
        remote_job = self.location.get_job(
            JobSubsetSelector(
                location_name=self.location.name,
                repository_name=REPOSITORY_NAME,
                job_name=job_name,
                op_selection=None,
                asset_selection=list(asset_selection) if asset_selection else None,
            )
        )
        config = (
            run_config.to_config_dict()
            if isinstance(run_config, dg.RunConfig)
            else dict(run_config or {})
        )
        plan = self.location.get_execution_plan(
            remote_job, config, step_keys_to_execute=None, known_state=None, instance=self.instance
        )
        run = self.instance.create_run(
            job_name=job_name,
            run_id=None,
            run_config=config,
            resolved_op_selection=remote_job.resolved_op_selection,
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags={**remote_job.tags, **(tags or {})},
            job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_selection=frozenset(asset_selection) if asset_selection else None,
            asset_check_selection=None,
            asset_graph=repository.asset_graph,
        )
        job = recon_job_from_origin(remote_job.get_python_origin())
        return execute_run(job, run, self.instance)


@contextmanager
def code_location_runs(instance: dg.DagsterInstance) -> Iterator[CodeLocationRuns]:
    """The ``albumsync`` code location loaded in this process, for :class:`CodeLocationRuns`."""
    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=DEFINITIONS_MODULE,
            attribute="defs",
            working_directory=os.getcwd(),
        ),
        location_name=LOCATION_NAME,
    )
    with origin.create_location(instance) as location:
        yield CodeLocationRuns(instance, location)
