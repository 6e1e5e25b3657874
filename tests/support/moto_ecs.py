"""Launcher for moto's server with ECS deployments modelled, for the e2e tests.

Run it as `python tests/support/moto_ecs.py -H 127.0.0.1 -p PORT`, with the
virtualenv's python. It patches moto 5.2.1's ECS backend in this process and
then starts the server through the same entry point as `moto_server`, so every
other service behaves as in plain moto.

moto leaves `deployments` untouched on update-service. Here an update to
another task definition starts a deployment, and every describe-services call
that names the service advances its rollout by one tick. Tests therefore
control progress by polling, and no wall clock is involved.
BCOS_MOTO_TICKS_TO_COMPLETE (default 2) sets how many ticks a healthy rollout
takes. A marker in any container image or secret name of the new revision
selects a failure:
fail-circuit-breaker, fail-tasks, never-stable or rollout-failed. Failing
rollouts leave STOPPED tasks, so list-tasks and describe-tasks are patched to
filter by service and report missing tasks as ECS does.
"""

import os
import sys
import threading
import uuid
from importlib.metadata import version

# The patches replace and wrap internals of this exact release. A new pin in
# scripts/install-test-tools has to be checked against its models.py first.
SUPPORTED_MOTO = "5.2.1"
TICKS_VARIABLE = "BCOS_MOTO_TICKS_TO_COMPLETE"
DEFAULT_TICKS_TO_COMPLETE = 2

# ECS derives its threshold from the desired count. The harness fixes it, so
# tests know which tick starts the rollback.
CIRCUIT_BREAKER_THRESHOLD = 3

# Checked in this order across all images, so an earlier marker wins.
HEALTHY = "healthy"
FAIL_CIRCUIT_BREAKER = "fail-circuit-breaker"
FAIL_TASKS = "fail-tasks"
NEVER_STABLE = "never-stable"
ROLLOUT_FAILED = "rollout-failed"
MARKERS = (FAIL_CIRCUIT_BREAKER, FAIL_TASKS, NEVER_STABLE, ROLLOUT_FAILED)

CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
STOPPED_REASON = (
    "ResourceInitializationError: unable to pull secrets or registry auth: "
    "execution resource retrieval failed: unable to retrieve secret from asm: "
    "service call has been retried 1 time(s): retrieved secret from Secrets "
    "Manager did not contain json key MISSING_KEY"
)
CONTAINER_REASON = (
    "CannotStartContainerError: ResourceInitializationError: "
    "unable to pull secrets or registry auth"
)


def read_ticks_to_complete():
    """Parse BCOS_MOTO_TICKS_TO_COMPLETE, exiting with a message when invalid."""
    text = os.environ.get(TICKS_VARIABLE)
    if text is None:
        return DEFAULT_TICKS_TO_COMPLETE
    try:
        ticks = int(text)
    except ValueError:
        ticks = 0
    if ticks < 1:
        sys.exit(
            f"moto_ecs.py: {TICKS_VARIABLE} must be a whole number of at least 1, got {text!r}"
        )
    return ticks


def check_moto_version():
    found = version("moto")
    if found != SUPPORTED_MOTO:
        sys.exit(
            f"moto_ecs.py: patches moto {SUPPORTED_MOTO}, but moto {found} is installed; "
            "run scripts/install-test-tools"
        )


check_moto_version()
TICKS_TO_COMPLETE = read_ticks_to_complete()

# Imported after the version check, so a wrong moto fails with the message above
# rather than with an import error from a renamed module.
from moto.core.responses import ActionResult  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402
from moto.ecs import models, responses  # noqa: E402
from moto.ecs.exceptions import InvalidParameterException  # noqa: E402
from moto.moto_api._internal import mock_random  # noqa: E402
from moto.server import main  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402

# werkzeug serves each request on its own thread, and a rollout is changed by
# several requests, so every read-modify-write of deployments holds this lock.
LOCK = threading.RLock()

Backend = models.EC2ContainerServiceBackend
original_create_service = Backend.create_service
original_update_service = Backend.update_service
original_describe_services = Backend.describe_services
original_list_tasks = Backend.list_tasks


class Rollout:
    """Progress of the PRIMARY deployment of one service, kept between ticks."""

    def __init__(
        self, deployment, task_definition, mode, ticks_to_complete, rollback_arn, rollback_id
    ):
        self.deployment = deployment
        # Kept so failed tasks can still be made if the revision is deleted.
        self.task_definition = task_definition
        self.mode = mode
        self.ticks_to_complete = ticks_to_complete
        self.ticks = 0
        # Task definition and deployment id of the last rollout that completed,
        # or None. ECS's circuit breaker rolls back to that deployment.
        self.rollback_arn = rollback_arn
        self.rollback_id = rollback_id


class StoppedTask:
    """A service task that failed to start. moto's Task is not reused because
    its constructor creates network interfaces for awsvpc task definitions."""

    def __init__(self, backend, service, task_definition, deployment_id):
        self.id = uuid.uuid4().hex
        self.cluster_name = service.cluster_name
        self.cluster_arn = service.cluster_arn
        self.region_name = service.region_name
        self._account_id = backend.account_id
        self._backend = backend

        self.task_definition_arn = task_definition.arn
        self.started_by = deployment_id
        self.group = f"service:{service.name}"
        self.launch_type = service.launch_type
        self.platform_version = service.platform_version
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.overrides = {"containerOverrides": [], "inferenceAcceleratorOverrides": []}
        self.tags = []
        self.attachments = []

        now = utcnow()
        self.last_status = "STOPPED"
        self.desired_status = "STOPPED"
        self.stop_code = "TaskFailedToStart"
        self.stopped_reason = STOPPED_REASON
        self.created_at = now
        self.stopping_at = now
        self.stopped_at = now

        # moto's stop_task and list_tasks read these from every task.
        self.container_instance_arn = None
        self.resource_requirements = None

        # No exitCode: the containers were never created, so none exited.
        self.containers = [
            {
                "containerArn": f"{self.container_arn_prefix()}/{uuid.uuid4()}",
                "taskArn": self.task_arn,
                "name": definition.get("name"),
                "image": definition.get("image"),
                "lastStatus": "STOPPED",
                "reason": CONTAINER_REASON,
                "healthStatus": "UNKNOWN",
            }
            for definition in task_definition.container_definitions
        ]

    def container_arn_prefix(self):
        partition = get_partition(self.region_name)
        account = f"arn:{partition}:ecs:{self.region_name}:{self._account_id}"
        return f"{account}:container/{self.cluster_name}/{self.id}"

    @property
    def task_arn(self):
        partition = get_partition(self.region_name)
        prefix = f"arn:{partition}:ecs:{self.region_name}:{self._account_id}:task"
        if self._backend.enable_long_arn_for_name(name="taskLongArnFormat"):
            return f"{prefix}/{self.cluster_name}/{self.id}"
        return f"{prefix}/{self.id}"

    def advance(self):
        """moto's describe_tasks advances each task's state; a STOPPED task stays."""


def new_deployment_id():
    # The `ecs-svc/` prefix and a long decimal number, as moto's own ids have.
    # mock_random follows the seed set through moto's API.
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def add_event(service, message):
    # ECS lists the newest event first.
    event = {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message}
    service.events.insert(0, event)


def add_failed_event(service, deployment):
    add_event(
        service,
        f"(service {service.name}) (deployment {deployment['id']}) "
        "deployment failed: tasks failed to start.",
    )


def deployment_mode(task_definition):
    # Secret names count too: a test can then make a revision fail through the
    # only change bcos-taskdef makes, and its rollback target stays healthy.
    texts = []
    for container in task_definition.container_definitions:
        texts.append(container.get("image") or "")
        texts.extend(secret.get("name") or "" for secret in container.get("secrets") or [])
    for marker in MARKERS:
        if any(marker in text for text in texts):
            return marker
    return HEALTHY


def primary_deployment(service):
    return next((d for d in service.deployments if d["status"] == "PRIMARY"), None)


def sync_counts(backend, service):
    """Set the service's running and pending counts to the sums over its
    deployments, as ECS reports them, and move the cluster's counts by the change."""
    running = sum(d["runningCount"] for d in service.deployments)
    pending = sum(d["pendingCount"] for d in service.deployments)
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        cluster.running_tasks_count += running - service.running_count
        cluster.pending_tasks_count += pending - service.pending_count
    service.running_count = running
    service.pending_count = pending


def complete(service, deployment):
    now = utcnow()
    deployment["runningCount"] = deployment["desiredCount"]
    deployment["pendingCount"] = 0
    deployment["rolloutState"] = "COMPLETED"
    deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."
    deployment["updatedAt"] = now
    service.deployments = [deployment]
    service._bcos_completed = (deployment["taskDefinition"], deployment["id"])
    service._bcos_rollout = None
    add_event(
        service,
        f"(service {service.name}) (deployment {deployment['id']}) deployment completed.",
    )
    add_event(service, f"(service {service.name}) has reached a steady state.")


def start_deployment(backend, service, task_definition, mode, ticks_to_complete):
    """Make a new PRIMARY deployment of `task_definition`, demoting the current
    PRIMARY to ACTIVE, and track it as the service's rollout."""
    now = utcnow()
    for deployment in service.deployments:
        if deployment["status"] == "PRIMARY":
            deployment["status"] = "ACTIVE"
            deployment["updatedAt"] = now

    deployment_id = new_deployment_id()
    desired = service.desired_count
    deployment = {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition.arn,
        "desiredCount": desired,
        "pendingCount": desired,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }
    service.deployments.insert(0, deployment)
    service.task_definition = task_definition.arn

    completed_arn, completed_id = getattr(service, "_bcos_completed", (None, None))
    service._bcos_rollout = Rollout(
        deployment, task_definition, mode, ticks_to_complete, completed_arn, completed_id
    )

    # These tasks exist only in the event: the harness models deployments,
    # not the tasks of a healthy one.
    if desired > 0:
        task_ids = " ".join(f"(task {uuid.uuid4().hex})" for _ in range(desired))
        add_event(
            service, f"(service {service.name}) has started {desired} tasks: {task_ids}."
        )
    sync_counts(backend, service)


def fail_one_task(backend, service, rollout):
    deployment = rollout.deployment
    task = StoppedTask(backend, service, rollout.task_definition, deployment["id"])
    backend.tasks.setdefault(service.cluster_name, {})[task.task_arn] = task
    deployment["failedTasks"] += 1
    deployment["updatedAt"] = utcnow()


def trip_circuit_breaker(backend, service, rollout):
    """Fail the rollout and, when an earlier rollout completed, start a rollback
    to its task definition that completes on the next tick."""
    failed = rollout.deployment
    failed["rolloutState"] = "FAILED"
    failed["rolloutStateReason"] = CIRCUIT_BREAKER_REASON
    failed["updatedAt"] = utcnow()
    add_failed_event(service, failed)
    if rollout.rollback_arn is None:
        service._bcos_rollout = None
        return

    add_event(
        service, f"(service {service.name}) rolling back to deployment {rollout.rollback_id}."
    )
    previous = backend.describe_task_definition(rollout.rollback_arn)
    start_deployment(backend, service, previous, HEALTHY, ticks_to_complete=1)


def advance(backend, service):
    """Move the service's rollout on by one tick."""
    rollout = getattr(service, "_bcos_rollout", None)
    if rollout is None or service.status != "ACTIVE":
        return
    deployment = rollout.deployment
    desired = deployment["desiredCount"]
    rollout.ticks += 1

    if rollout.mode in (FAIL_CIRCUIT_BREAKER, FAIL_TASKS):
        fail_one_task(backend, service, rollout)
        tripped = deployment["failedTasks"] >= CIRCUIT_BREAKER_THRESHOLD
        if rollout.mode == FAIL_CIRCUIT_BREAKER and tripped:
            trip_circuit_breaker(backend, service, rollout)
    elif rollout.mode == NEVER_STABLE:
        deployment["runningCount"] = max(desired - 1, 0)
        deployment["pendingCount"] = desired - deployment["runningCount"]
        deployment["updatedAt"] = utcnow()
    elif rollout.ticks >= rollout.ticks_to_complete:
        if rollout.mode == ROLLOUT_FAILED:
            deployment["rolloutState"] = "FAILED"
            deployment["rolloutStateReason"] = CIRCUIT_BREAKER_REASON
            deployment["updatedAt"] = utcnow()
            service._bcos_rollout = None
            add_failed_event(service, deployment)
        else:
            complete(service, deployment)
    elif rollout.mode == HEALTHY:
        # Tasks come up in proportion to the ticks that have passed.
        deployment["runningCount"] = desired * rollout.ticks // rollout.ticks_to_complete
        deployment["pendingCount"] = desired - deployment["runningCount"]
        deployment["updatedAt"] = utcnow()
    sync_counts(backend, service)


def create_service(self, *args, **kwargs):
    """Create the service already steady, like the long-running services the
    tool changes. moto leaves the first deployment IN_PROGRESS with no tasks."""
    with LOCK:
        service = original_create_service(self, *args, **kwargs)
        service._bcos_rollout = None
        service._bcos_completed = (None, None)
        deployment = primary_deployment(service)
        if deployment is not None and deployment["taskDefinition"] is not None:
            deployment["runningCount"] = deployment["desiredCount"]
            deployment["pendingCount"] = 0
            deployment["rolloutState"] = "COMPLETED"
            deployment["rolloutStateReason"] = (
                f"ECS deployment {deployment['id']} completed."
            )
            service._bcos_completed = (deployment["taskDefinition"], deployment["id"])
            add_event(service, f"(service {service.name}) has reached a steady state.")
            sync_counts(self, service)
        return service


def update_service(self, service_properties):
    """Run moto's update_service, undo its changes to deployments and counts,
    then start a deployment when the task definition changed or one was forced."""
    with LOCK:
        cluster = self._get_cluster(service_properties.get("cluster", "default"))
        service_name = service_properties["service"].split("/")[-1]
        service = self._get_service(cluster.name, service_name)
        task_definition_ref = service_properties.get("task_definition")
        force = bool(service_properties.get("force_new_deployment"))
        # moto puts a new id and timestamps on deployments[0] in place for
        # --force-new-deployment, and zeroes the cluster's task counts.
        saved_deployment = dict(service.deployments[0]) if service.deployments else None
        saved_cluster_counts = (cluster.running_tasks_count, cluster.pending_tasks_count)
        saved_service_counts = (service.running_count, service.pending_count)

        service = original_update_service(self, service_properties)
        # Services deployed by CODE_DEPLOY or EXTERNAL have no deployments.
        if service.deployment_controller.get("type") != "ECS" or not service.deployments:
            return service

        service.deployments[0].update(saved_deployment)
        cluster.running_tasks_count, cluster.pending_tasks_count = saved_cluster_counts
        service.running_count, service.pending_count = saved_service_counts

        primary = primary_deployment(service)
        if primary is not None:
            primary["desiredCount"] = service.desired_count
            if primary["rolloutState"] == "COMPLETED":
                primary["runningCount"] = service.desired_count
                primary["pendingCount"] = 0

        current_arn = primary["taskDefinition"] if primary is not None else None
        # moto stored the reference as given, which may be `family:revision`.
        service.task_definition = current_arn
        target_ref = task_definition_ref or current_arn
        if target_ref is None:
            sync_counts(self, service)
            return service

        target = self.describe_task_definition(target_ref)
        if target.arn != current_arn or force:
            mode = deployment_mode(target)
            start_deployment(self, service, target, mode, TICKS_TO_COMPLETE)
        else:
            sync_counts(self, service)
        return service


def describe_services(self, cluster_str, service_names_or_arns):
    """Describe the services, first moving each one's rollout on by one tick."""
    with LOCK:
        found, failures = original_describe_services(
            self, cluster_str, service_names_or_arns
        )
        advanced = set()
        for service in found:
            # A service named twice in one call still advances only once.
            if id(service) not in advanced:
                advanced.add(id(service))
                advance(self, service)
        return found, failures


def list_tasks(
    self,
    cluster_str=None,
    container_instance=None,
    family=None,
    started_by=None,
    service_name=None,
    desiredStatus=None,
):
    """List tasks, keeping only the service's own when serviceName is given.
    moto ignores serviceName. ECS filters by it and raises ServiceNotFoundException."""
    with LOCK:
        tasks = original_list_tasks(
            self, cluster_str, container_instance, family, started_by, None, desiredStatus
        )
        if service_name:
            name = service_name.split("/")[-1]
            service = self._get_service(cluster_str or "default", name)
            tasks = [task for task in tasks if task.group == f"service:{service.name}"]
        return tasks


def describe_tasks(self, cluster_str, tasks):
    """Describe tasks of the named cluster only, matching a full ARN or a task
    id exactly. moto 5.2.1 searches every cluster and matches substrings."""
    with LOCK:
        cluster = self._get_cluster(cluster_str)
        if not tasks:
            raise InvalidParameterException("Tasks cannot be empty.")
        found = []
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn in tasks or arn.split("/")[-1] in tasks:
                task.advance()
                found.append(task)
        return found


def list_tasks_response(self):
    # ECS's ListTasks reference gives RUNNING as the default desiredStatus
    # filter. moto lists tasks of every status instead.
    tasks = self.ecs_backend.list_tasks(
        self._get_param("cluster", "default"),
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        self._get_param("desiredStatus") or "RUNNING",
    )
    return ActionResult({"taskArns": [task.task_arn for task in tasks]})


def describe_tasks_response(self):
    # moto always returns an empty failures list. ECS reports each task it did
    # not find as MISSING, which is how a caller learns that an ARN was wrong.
    cluster_ref = self._get_param("cluster", "default")
    requested = self._get_param("tasks", [])
    tasks = self.ecs_backend.describe_tasks(cluster_ref, requested)
    if "TAGS" in self._get_param("include", []):
        self._include_in_response(responses.DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(responses.DESCRIBE_TASKS_TAGS)

    arns = {task.task_arn for task in tasks}
    known = arns | {arn.split("/")[-1] for arn in arns}
    cluster_name = cluster_ref.split("/")[-1]
    partition = get_partition(self.region)
    failures = []
    for reference in requested:
        if reference in known:
            continue
        arn = reference
        if not reference.startswith("arn:"):
            account = f"arn:{partition}:ecs:{self.region}:{self.current_account}"
            arn = f"{account}:task/{cluster_name}/{reference}"
        failures.append({"arn": arn, "reason": "MISSING"})
    return ActionResult({"tasks": tasks, "failures": failures})


Backend.create_service = create_service
Backend.update_service = update_service
Backend.describe_services = describe_services
Backend.list_tasks = list_tasks
Backend.describe_tasks = describe_tasks
responses.EC2ContainerServiceResponse.list_tasks = list_tasks_response
responses.EC2ContainerServiceResponse.describe_tasks = describe_tasks_response

if __name__ == "__main__":
    sys.exit(main())
