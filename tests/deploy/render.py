"""A small kustomize, enough for deploy/kubernetes/: ``resources`` (files and directories with a
kustomization.yaml), ``namespace``, ``labels`` (added to metadata.labels), ``images`` (newName, newTag) and
``patches`` by path (strategic merge: maps merged, lists of named items merged by name, other lists replaced).
Anything else in a kustomization.yaml is refused, so the manifests never rely on what this does not render."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
# Kinds that live outside namespaces (none of the manifests' today, but never give them one).
CLUSTER_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterTriggerAuthentication"}


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (isinstance(base, list) and isinstance(patch, list) and patch
            and all(isinstance(i, dict) and "name" in i for i in base + patch)):
        by_name = {item["name"]: item for item in base}
        merged = [merge(by_name[item["name"]], item) if item["name"] in by_name else copy.deepcopy(item)
                  for item in patch]
        patched = {item["name"] for item in patch}
        return [item for item in base if item["name"] not in patched] + merged
    return copy.deepcopy(patch)


def _images(resource: Any, images: dict[str, dict]) -> None:
    if isinstance(resource, dict):
        for key, value in resource.items():
            if key == "image" and isinstance(value, str):
                name = value.split(":", 1)[0]
                if name in images:
                    rule = images[name]
                    resource[key] = f"{rule.get('newName', name)}:{rule.get('newTag', 'latest')}"
            else:
                _images(value, images)
    elif isinstance(resource, list):
        for item in resource:
            _images(item, images)


def render(directory: Path) -> list[dict]:
    """Every resource the kustomization in ``directory`` makes, as kustomize build would (for these fields)."""
    kustomization = documents(directory / "kustomization.yaml")[0]
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise ValueError(f"{directory}/kustomization.yaml uses fields this renderer does not know: {sorted(unknown)}")
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources += render(path) if path.is_dir() else documents(path)
    for patch_entry in kustomization.get("patches", []):
        for patch in documents(directory / patch_entry["path"]):
            key = (patch["kind"], patch["metadata"]["name"])
            targets = [i for i, r in enumerate(resources) if (r["kind"], r["metadata"]["name"]) == key]
            if len(targets) != 1:
                raise ValueError(f"patch {patch_entry['path']} matches {len(targets)} resources for {key}")
            resources[targets[0]] = merge(resources[targets[0]], patch)
    images = {rule["name"]: rule for rule in kustomization.get("images", [])}
    for resource in resources:
        _images(resource, images)
        for labels in kustomization.get("labels", []):
            resource["metadata"].setdefault("labels", {}).update(labels["pairs"])
        if "namespace" in kustomization and resource["kind"] not in CLUSTER_KINDS:
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources
