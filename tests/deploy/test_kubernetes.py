"""deploy/kubernetes/: every overlay renders (tests/deploy/render.py), and every resource it makes is valid against
the Kubernetes schema (kubernetes-validate, strict: unknown fields refused) or, for KEDA's and the Prometheus
Operator's kinds, against the JSON schemas in deploy/kubernetes/schemas/. And what the deployment promises holds:
secrets only by reference, exactly one beat, probes on the portal's real probe routes, resources everywhere,
disruption budgets, workers scaled on the queues the portal uses, alert rules on series the portal exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.urls import resolve

from tests.deploy.render import documents, render

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
TARGETS = ["base", "overlays/staging", "overlays/production"]
# The oldest Kubernetes the manifests are meant for (autoscaling/v2, policy/v1 and batch/v1's TTL are older).
KUBERNETES_VERSION = "1.29"
CUSTOM = {("keda.sh/v1alpha1", "ScaledObject"): "scaledobject-keda-v1alpha1.json",
          ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication-keda-v1alpha1.json",
          ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-monitoring-v1.json"}
SECRET_NAMES = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "AUTH0_CLIENT_SECRET",
                "AUTH0_MGMT_CLIENT_SECRET", "EMAIL_URL", "METRICS_TOKEN", "DIRECTORY_STREAM_TOKEN"}


def validate(resource: dict) -> None:
    schema_file = CUSTOM.get((resource["apiVersion"], resource["kind"]))
    if schema_file:
        schema = json.loads((KUBERNETES / "schemas" / schema_file).read_text())
        jsonschema.Draft202012Validator(schema).validate(resource)
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def _by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def _containers(resource: dict) -> list[dict]:
    pod = resource["spec"]["template"]["spec"]
    return pod.get("initContainers", []) + pod["containers"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_resource_is_valid(target: str) -> None:
    resources = render(KUBERNETES / target)
    kinds = {r["kind"] for r in resources}
    assert {"Deployment", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ScaledObject", "Service",
            "ConfigMap", "TriggerAuthentication"} <= kinds
    for resource in resources:
        validate(resource)


def test_every_manifest_file_is_valid_on_its_own() -> None:
    # The overlays' files are partial patches: validated once merged, above.
    files = [p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml" and "overlays" not in p.parts]
    assert len(files) == 10
    for path in files:
        for doc in documents(path):
            validate(doc)


@pytest.mark.parametrize("broken", [
    lambda d: d["spec"].__setitem__("replicas", "two"),
    lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("livenessProb", {}),
    lambda d: d["spec"]["template"]["spec"]["containers"][0]["env"][-1]["valueFrom"].__setitem__("secretRef", {}),
])
def test_validation_catches_a_broken_manifest(broken) -> None:
    web = _by_kind(render(KUBERNETES / "base"), "Deployment")["portal-web"]
    broken(web)
    with pytest.raises(jsonschema.ValidationError):
        validate(web)


def test_a_broken_custom_resource_is_caught() -> None:
    scaled = _by_kind(render(KUBERNETES / "base"), "ScaledObject")["portal-worker"]
    scaled["spec"]["maxReplicas"] = 4  # KEDA's field is maxReplicaCount
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)


@pytest.mark.parametrize("target", TARGETS)
def test_secrets_only_by_reference(target: str) -> None:
    resources = render(KUBERNETES / target)
    assert "Secret" not in {r["kind"] for r in resources}
    config = _by_kind(resources, "ConfigMap")["portal-config"]["data"]
    assert not (set(config) & SECRET_NAMES)
    for deployment in [*_by_kind(resources, "Deployment").values(), *_by_kind(resources, "Job").values()]:
        for container in _containers(deployment):
            env = {item["name"]: item for item in container.get("env", [])}
            assert set(env) >= SECRET_NAMES, (deployment["metadata"]["name"], container["name"])
            for name in SECRET_NAMES:
                assert "value" not in env[name]
                assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "portal-secrets", "key": name}


@pytest.mark.parametrize("target", TARGETS)
def test_exactly_one_beat_stopped_before_its_successor_starts(target: str) -> None:
    deployments = _by_kind(render(KUBERNETES / target), "Deployment")
    beats = [d for d in deployments.values() if "beat" in d["spec"]["template"]["spec"]["containers"][0]["command"]]
    assert len(beats) == 1
    assert beats[0]["spec"]["replicas"] == 1
    assert beats[0]["spec"]["strategy"] == {"type": "Recreate"}
    autoscaled = {r["spec"]["scaleTargetRef"]["name"] for r in render(KUBERNETES / target)
                  if r["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")}
    assert beats[0]["metadata"]["name"] not in autoscaled
    budgets = [b["spec"]["selector"]["matchLabels"] for b in _by_kind(render(KUBERNETES / target),
                                                                       "PodDisruptionBudget").values()]
    assert {b["app.kubernetes.io/component"] for b in budgets} == {"web", "worker"}


@pytest.mark.parametrize("target", TARGETS)
def test_probes_resources_and_the_migration(target: str) -> None:
    resources = render(KUBERNETES / target)
    web = _by_kind(resources, "Deployment")["portal-web"]["spec"]["template"]["spec"]["containers"][0]
    for probe, path in (("livenessProbe", "/healthz/live"), ("readinessProbe", "/healthz/ready")):
        assert web[probe]["httpGet"]["path"] == path
        assert resolve(path).url_name == path.strip("/").replace("/", "_")
    assert _by_kind(resources, "Deployment")["portal-worker"]["spec"]["template"]["spec"]["containers"][0][
        "livenessProbe"]["httpGet"] == {"path": "/healthz/live", "port": "metrics"}
    for workload in [*_by_kind(resources, "Deployment").values(), *_by_kind(resources, "Job").values()]:
        for container in _containers(workload):
            assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
            assert container["resources"]["limits"]["memory"]
            assert container["image"].startswith("registry.example.com/auth0-portal:") or target == "base"
    migrate = _by_kind(resources, "Job")["portal-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["command"][-2:] == ["migrate", "--noinput"]
    services = _by_kind(resources, "Service")
    assert services["portal-worker-metrics"]["spec"]["ports"][0]["port"] == 9100


@pytest.mark.parametrize("target", TARGETS)
def test_workers_scale_on_the_queues_the_portal_uses(target: str) -> None:
    resources = render(KUBERNETES / target)
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE, settings.MANAGEMENT_QUEUE}
    scaled = _by_kind(resources, "ScaledObject")["portal-worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "portal-worker"
    assert {t["metadata"]["listName"] for t in scaled["spec"]["triggers"] if t["type"] == "redis"} == queues
    worker = _by_kind(resources, "Deployment")["portal-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert set(worker["command"][worker["command"].index("--queues") + 1].split(",")) == queues
    auth = _by_kind(resources, "TriggerAuthentication")[scaled["spec"]["triggers"][0]["authenticationRef"]["name"]]
    assert all(ref["name"] == "portal-secrets" for ref in auth["spec"]["secretTargetRef"])


def test_compose_runs_several_workers_and_one_beat() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["worker"]["deploy"]["replicas"] >= 2
    assert "deploy" not in compose["services"]["beat"]


@pytest.mark.django_db
def test_alert_rules_name_series_the_portal_exports(settings, client) -> None:
    rules = _by_kind(render(KUBERNETES / "overlays/production"), "PrometheusRule")["auth0-portal"]
    expressions = [rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]]
    named = {name for expr in expressions for name in re.findall(r"\b(?:portal|django)_[a-z0-9_]+", expr)}
    settings.METRICS_TOKEN = "alerts-test-token"  # noqa: S105
    exported = client.get("/metrics", HTTP_AUTHORIZATION="Bearer alerts-test-token").content.decode()
    known = set(re.findall(r"^# TYPE (\S+)", exported, re.MULTILINE))
    known |= {f"{name}_total" for name in known}
    assert named and named <= known, sorted(named - known)
