"""Azure ML CLI v1 (`az extension add -n azure-cli-ml`), retired by Microsoft on 2025-09-30: the
commands real pipelines still call (rsethur/MLOps, mlops-templates' python-sdk-v1 templates).

Where CLI v2 has a direct equivalent, the command runs as it on the same local implementation and warns
with the v2 command to write instead: `model register` -> `model create`, `model deploy` ->
`online-endpoint create` + `online-deployment create`, `service show|get-keys` -> `online-endpoint
show|get-credentials`, `computetarget create amlcompute` -> `compute create`, `folder attach` ->
`configure --defaults`. The others exit 2 and name the exact v2 command(s): `run submit-script` (a
command job), `run submit-pipeline` (a pipeline job, or a batch endpoint for a published pipeline),
`computetarget create aks`, and any other command of a group only v1 has.
[DOC https://learn.microsoft.com/azure/machine-learning/how-to-migrate-from-v1]
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.assets import models, workspace
from emulator.azureml.assets.workspace import save_defaults
from emulator.azureml.assets.yamlspec import load_spec
from emulator.azureml.az.commands.arguments import NAME_REQUIRED, parse_tags
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError, AzError, AzNotEmulatedError
from emulator.azureml.serving import deployments, endpoints

RETIRED = "Azure ML CLI v1 (the azure-cli-ml extension), which Microsoft retired on 2025-09-30"
GUIDE = "https://learn.microsoft.com/azure/machine-learning/how-to-migrate-from-v1"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
EXTENSION_NOTE = (
    f"azure-cli-ml is {RETIRED}. The emulator recognizes its commands: those with a direct v2 "
    "equivalent run as it and say what to write instead, the others exit 2 naming the v2 command(s). "
    "Install the v2 extension instead: az extension add -n ml"
)
COMPUTE_TYPE_TAG = "azureml.v1.computeType"
DEPLOYMENT = "default"  # a v1 service is one deployment; v2 names it
# Managed online endpoint sizes (cores, memory GB), smallest first, for a v1 container's cpu/memoryInGB.
_SIZES = (
    ("Standard_DS1_v2", 1, 3.5),
    ("Standard_DS2_v2", 2, 7),
    ("Standard_DS3_v2", 4, 14),
    ("Standard_DS4_v2", 8, 28),
    ("Standard_DS5_v2", 16, 56),
)
# the SDK v1 packages (azureml-inference-server-http or azureml-mlflow 1.x are current ones)
_V1_PIN = re.compile(
    r"^\s*(azureml-(?:sdk|core|defaults|widgets|(?:train|pipeline|contrib|explain|automl)"
    r"[-\w]*))(\[[^\]]*\])?\s*==\s*(1\.[\d.]+)"
)
_V1_IMPORT = re.compile(r"^\s*(from|import)\s+azureml\.core\b", re.MULTILINE)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.rstrip().splitlines())


def _ran_as(inv: Invocation, *instead: str) -> None:
    inv.warn(
        f"`{inv.command.name}` is {RETIRED}; it ran as its v2 equivalent, which is what to write "
        f"instead:\n{_indent(chr(10).join(instead))}"
    )


def _refused(inv: Invocation, instead: str, note: str | None = None) -> AzArgumentError:
    hint = f"write instead:\n{_indent(instead)}\n(migration guide: {GUIDE})"
    return AzArgumentError(
        f"`{inv.command.name}` is {RETIRED}; it has no direct v2 equivalent the emulator could run "
        "in its place",
        hint=hint + (f"\nnote: {note}" if note else ""),
    )


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def _relative(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve())) or "."
    except ValueError:
        return str(path)


# --- what cannot run here: Python and SDK v1 pins -----------------------------------------------------


def sdk_v1_pins(conda_file: Path | None) -> list[str]:
    """What a conda file pins that only SDK v1 era Azure ML had: a Python before 3.8, azureml-* 1.x."""
    if conda_file is None or not conda_file.is_file():
        return []
    try:
        data = yaml.safe_load(conda_file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []
    pins: list[str] = []
    for dep in data.get("dependencies") or [] if isinstance(data, dict) else []:
        if isinstance(dep, str):
            match = re.match(r"^python\s*=+\s*(3\.[0-7])(\.\d+)?\s*$", dep.strip())
            if match:
                pins.append(f"Python {match.group(1)}{match.group(2) or ''}")
        elif isinstance(dep, dict):
            for item in dep.get("pip") or []:
                match = _V1_PIN.match(str(item))
                if match:
                    pins.append(f"{match.group(1)} {match.group(3)}")
    return pins


def _v1_note(conda_file: Path | None, scripts: list[Path], cwd: Path, scoring: bool = False) -> str | None:
    pins = sdk_v1_pins(conda_file)
    importing = [s for s in scripts if s.is_file() and _V1_IMPORT.search(s.read_text(errors="replace"))]
    if not pins and not importing:
        return None
    parts = []
    if pins and conda_file is not None:
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        parts.append(
            f"{_relative(conda_file, cwd)} pins {' and '.join(pins)} (the Azure ML SDK v1 era; "
            "SDK v1 support ends 2026-06-30): this machine cannot build that environment (it has "
            f"Python {running}, on which SDK v1 does not install)"
        )
    if importing:
        names = ", ".join(_relative(s, cwd) for s in importing)
        port = (
            "load the model from $AZUREML_MODEL_DIR instead of Model.get_model_path"
            if scoring
            else "log with MLflow instead (mlflow.log_metric, mlflow.sklearn.log_model)"
        )
        verb = "imports" if len(importing) == 1 else "import"
        parts.append(f"{names} {verb} azureml.core (SDK v1): {port}")
    return "; ".join(parts) + "; and pin a current Python and packages in the conda file"


# --- commands that run as their v2 equivalent ---------------------------------------------------------


def model_register(inv: Invocation) -> Any:
    ws = inv.workspace()
    name = str(inv.arg("name"))
    run_id = inv.arg("run_id")
    if inv.arg("run_metadata_file"):
        metadata = _json_file(inv, str(inv.arg("run_metadata_file")), "--run-metadata-file")
        run_id = metadata.get("runId") or run_id
    if inv.arg("model_path"):
        path = str(inv.arg("model_path"))
    elif run_id and inv.arg("asset_path"):
        path = f"azureml://jobs/{run_id}/outputs/artifacts/paths/{str(inv.arg('asset_path')).lstrip('./')}"
    else:
        raise AzArgumentError(
            "az ml model register needs --model-path/-p, or --asset-path with --run-id/-r or "
            "--run-metadata-file/-f"
        )
    tags = {**parse_tags(inv.arg("property")), **parse_tags(inv.arg("tag"))}
    v2 = ["az", "ml", "model", "create", "--name", name, "--path", path, "--type", "custom_model"]
    if inv.arg("description"):
        v2 += ["--description", str(inv.arg("description"))]
    if tags:
        v2 += ["--tags", *(f"{k}={v}" for k, v in tags.items())]
    _ran_as(inv, shlex.join(v2))
    record = models.create_model(
        inv.ctx, ws, name=name, path=path, description=inv.arg("description"), tags=tags, cwd=inv.cwd
    )
    if inv.arg("output_metadata_file"):
        metadata = {
            "modelId": f"{name}:{record['version']}",
            "workspaceName": ws.name,
            "resourceGroupName": ws.resource_group,
        }
        (inv.cwd / str(inv.arg("output_metadata_file"))).write_text(json.dumps(metadata, indent=2) + "\n")
    return record


def _json_file(inv: Invocation, file: str, option: str) -> dict[str, Any]:
    path = inv.cwd / file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AzArgumentError(f"argument {option}: cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise AzArgumentError(f"argument {option}: {path} is not a JSON object")
    return data


def _config(inv: Invocation, dest: str, option: str) -> dict[str, Any]:
    """A v1 inference or deployment configuration file (YAML or JSON)."""
    if not inv.arg(dest):
        return {}
    path = inv.cwd / str(inv.arg(dest))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AzArgumentError(f"argument {option}: cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise AzArgumentError(f"argument {option}: {path} is not a mapping")
    return data


def _instance(dc: dict[str, Any], inv: Invocation) -> tuple[str, int]:
    """(instance_type, instance_count) for a v1 deployment configuration's container and replicas."""
    resources = dc.get("containerResourceRequirements") or {}
    cpu = float(resources.get("cpu") or inv.arg("cc") or 0.1)
    memory = float(resources.get("memoryInGB") or inv.arg("gb") or 0.5)
    size = next((n for n, cores, gb in _SIZES if cores >= cpu and gb >= memory), _SIZES[-1][0])
    scaler = dc.get("autoScaler") or {}
    count = scaler.get("minReplicas") or dc.get("numReplicas") or inv.arg("autoscale_min_replicas") or 1
    return size, int(count)


def _model_reference(inv: Invocation) -> str:
    references = list(inv.arg("model") or [])
    if inv.arg("model_metadata_file"):
        metadata = _json_file(inv, str(inv.arg("model_metadata_file")), "--model-metadata-file")
        model_id = metadata.get("modelId")
        references += [str(model_id)] if model_id else []
    if len(references) != 1 or ":" not in references[0]:
        raise AzArgumentError(
            "az ml model deploy needs exactly one model as NAME:VERSION (--model/-m or "
            "--model-metadata-file/-f)",
            hint="a v2 deployment serves one model; deploy several models as several deployments",
        )
    return str(references[0])


def model_deploy(inv: Invocation) -> Any:
    ws = inv.workspace()
    name = str(inv.arg("name"))
    reference = _model_reference(inv)
    ic = _config(inv, "ic", "--ic/--inference-config-file")
    dc = _config(inv, "dc", "--dc/--deploy-config-file")
    entry = inv.arg("entry_script") or ic.get("entryScript")
    if not entry:
        raise AzArgumentError(
            "az ml model deploy needs an entry script",
            expected="--entry-script, or entryScript in the --ic file",
        )
    source = inv.arg("sd") or ic.get("sourceDirectory")
    code = (inv.cwd / str(source)) if source else (inv.cwd / str(entry)).parent
    script = (code / Path(str(entry)).name) if not source else (code / str(entry))
    conda_value = inv.arg("cf") or ic.get("condaFile")
    conda = (inv.cwd / str(conda_value)) if conda_value else None
    compute_type = str(dc.get("computeType") or inv.arg("compute_type") or "ACI").upper()
    size, count = _instance(dc, inv)

    def files(base: Path, absolute: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        def where(path: Path) -> str:
            return str(path.resolve()) if absolute else _relative(path, base)

        endpoint = {
            "$schema": "https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json",
            "name": name,
            "auth_mode": "key",
            "tags": {COMPUTE_TYPE_TAG: compute_type},
        }
        environment: dict[str, Any] = {"image": IMAGE}
        if conda is not None:
            environment["conda_file"] = where(conda)
        deployment = {
            "$schema": "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json",
            "name": DEPLOYMENT,
            "endpoint_name": name,
            "model": f"azureml:{reference}",
            "code_configuration": {"code": where(code), "scoring_script": _relative(script, code)},
            "environment": environment,
            "instance_type": size,
            "instance_count": count,
        }
        return endpoint, deployment

    shown = files(inv.cwd, absolute=False)
    instead = (
        f"endpoint.yml:\n{_indent(_yaml(shown[0]))}\ndeployment.yml:\n{_indent(_yaml(shown[1]))}\n"
        "az ml online-endpoint create --file endpoint.yml\n"
        "az ml online-deployment create --file deployment.yml --all-traffic"
    )
    note = _v1_note(conda, [script], inv.cwd, scoring=True)
    if note is not None:
        raise AzNotEmulatedError(
            f"`{inv.command.name}` is {RETIRED}; its v2 equivalent, an online endpoint and deployment, "
            f"cannot run here: {note}",
            hint=f"the v2 equivalent to write, once the environment is current:\n{_indent(instead)}",
        )
    exists = endpoints.endpoint_file(inv.ctx, name).is_file()
    if exists and not inv.arg("overwrite"):
        raise AzError(
            f"Error, there is already a service with name {name} found in workspace {ws.name}",
            hint="add --overwrite to replace it",
        )
    folder = inv.ctx.azureml / "v1" / name
    folder.mkdir(parents=True, exist_ok=True)
    endpoint_yaml, deployment_yaml = folder / "endpoint.yml", folder / "deployment.yml"
    running = files(folder, absolute=True)
    endpoint_yaml.write_text(_yaml(running[0]), encoding="utf-8")
    deployment_yaml.write_text(_yaml(running[1]), encoding="utf-8")
    if compute_type == "ACI" or dc.get("authEnabled") is False:
        inv.warn(
            "a v2 managed online endpoint always asks for a key (auth_mode: key); a v1 service "
            "without authentication is not available in v2"
        )
    _ran_as(inv, instead)
    endpoints.create_endpoint(inv.ctx, ws, load_spec("online_endpoint", endpoint_yaml), name=name)
    deployments.create_deployment(
        inv.ctx,
        ws,
        load_spec("online_deployment", deployment_yaml),
        all_traffic=True,
        progress=inv.progress,
        warn=inv.warn,
    )
    return service_view(inv, name)


def service_view(inv: Invocation, name: str) -> dict[str, Any]:
    """An endpoint in the shape of a v1 web service (what `az ml service show` printed)."""
    view = endpoints.show_endpoint(inv.ctx, name)
    tags = dict(view.get("tags") or {})
    state = str(view.get("provisioning_state") or "Succeeded")
    return {
        "name": name,
        "computeType": tags.get(COMPUTE_TYPE_TAG, "Managed"),
        "state": "Healthy" if state == "Succeeded" else state,
        "scoringUri": view.get("scoring_uri"),
        "swaggerUri": view.get("openapi_uri"),
        "authEnabled": view.get("auth_mode") == "key",
        "tags": tags,
    }


def service_show(inv: Invocation) -> Any:
    inv.workspace()
    _ran_as(inv, shlex.join(["az", "ml", "online-endpoint", "show", "--name", str(inv.arg("name"))]))
    return service_view(inv, str(inv.arg("name")))


def service_keys(inv: Invocation) -> Any:
    inv.workspace()
    name = str(inv.arg("name"))
    _ran_as(inv, shlex.join(["az", "ml", "online-endpoint", "get-credentials", "--name", name]))
    return endpoints.get_credentials(inv.ctx, name)


def computetarget_amlcompute(inv: Invocation) -> Any:
    ws = inv.workspace()
    values: dict[str, Any] = {
        "name": inv.arg("name"),
        "type": "amlcompute",
        "size": inv.arg("vm_size"),
        "min_instances": inv.arg("min_nodes"),
        "max_instances": inv.arg("max_nodes"),
        "idle_time_before_scale_down": inv.arg("idle_seconds"),
    }
    values = {k: v for k, v in values.items() if v is not None}
    v2 = ["az", "ml", "compute", "create", "--name", str(values["name"]), "--type", "amlcompute"]
    for key, flag in (
        ("size", "--size"),
        ("min_instances", "--min-instances"),
        ("max_instances", "--max-instances"),
        ("idle_time_before_scale_down", "--idle-time-before-scale-down"),
    ):
        if key in values:
            v2 += [flag, str(values[key])]
    _ran_as(inv, shlex.join(v2))
    inv.warn(f"compute {values['name']} is a record only: {workspace.COMPUTE_NOTE}")
    return workspace.create_compute(inv.ctx, ws, values)


def folder_attach(inv: Invocation) -> Any:
    group, name = inv.options.get("resource_group"), inv.options.get("workspace_name")
    if not group or not name:
        raise AzArgumentError("az ml folder attach needs --resource-group/-g and --workspace-name/-w")
    _ran_as(inv, shlex.join(["az", "configure", "--defaults", f"group={group}", f"workspace={name}"]))
    save_defaults(inv.ctx, {"group": str(group), "workspace": str(name)})
    return None


# --- commands without a direct v2 equivalent: exit 2 with what to write ----------------------------------


def run_submit_script(inv: Invocation) -> Any:
    words = list(inv.arg("script") or [])
    if not words:
        raise AzArgumentError("az ml run submit-script needs the script to run (and its arguments)")
    source = inv.cwd / str(inv.arg("source_directory") or ".")
    job: dict[str, Any] = {"$schema": "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"}
    if inv.arg("experiment_name"):
        job["experiment_name"] = str(inv.arg("experiment_name"))
    job["code"] = _relative(source, inv.cwd)
    job["command"] = shlex.join(["python", *words])
    conda = inv.cwd / str(inv.arg("conda_dependencies")) if inv.arg("conda_dependencies") else None
    job["environment"] = {"image": IMAGE, **({"conda_file": _relative(conda, inv.cwd)} if conda else {})}
    if inv.arg("compute_target"):
        job["compute"] = f"azureml:{inv.arg('compute_target')}"
    instead = (
        f"job.yml (beside the working directory):\n{_indent(_yaml(job))}\n"
        "run_id=$(az ml job create --file job.yml --stream --query name -o tsv)"
    )
    if inv.arg("output_metadata_file"):
        instead += f"\n(the job's name is the run id that -t {inv.arg('output_metadata_file')} recorded)"
    raise _refused(inv, instead, _v1_note(conda, [source / words[0]], inv.cwd))


def run_submit_pipeline(inv: Invocation) -> Any:
    experiment = str(inv.arg("experiment_name") or "EXPERIMENT")
    if inv.arg("pipeline_id"):
        instead = (
            "a published pipeline has no v2 equivalent: make it a pipeline component, deploy it to a "
            "batch endpoint and invoke that:\n"
            "az ml batch-deployment create --file pipeline-deployment.yml --set-default\n"
            f"az ml batch-endpoint invoke --name ENDPOINT --experiment-name {shlex.quote(experiment)}"
        )
    else:
        instead = (
            "the pipeline as a v2 pipeline job YAML (https://aka.ms/ml-cli-v2-job-pipeline-yaml-reference):\n"
            f"az ml job create --file pipeline.yml --experiment-name {shlex.quote(experiment)}"
        )
    raise _refused(inv, instead)


def computetarget_aks(inv: Invocation) -> Any:
    raise _refused(
        inv,
        "online deployments need no cluster in v2 (managed online endpoints): "
        "az ml online-endpoint create / az ml online-deployment create\n"
        "or, for your own AKS cluster with the Azure ML extension installed:\n"
        "az ml compute attach --type Kubernetes --name NAME --resource-id CLUSTER_ID",
    )


_GROUPS = {
    "run": "az ml job create|show|list|stream|download",
    "service": "az ml online-endpoint / az ml online-deployment",
    "computetarget": "az ml compute create|show|list|delete",
    "folder": "az configure --defaults group=GROUP workspace=WORKSPACE",
    "dataset": "az ml data create|show|list",
    "pipeline": "az ml job create --file pipeline.yml (pipeline jobs), az ml component",
    "experiment": "az ml job list",
    "image": "az ml environment create, az ml model package",
    "endpoint": "az ml online-endpoint / az ml batch-endpoint",
}


def retired_group(inv: Invocation) -> Any:
    group = inv.command.words[1]
    shown = " ".join([*inv.command.words, *[str(w) for w in (inv.arg("rest") or [])[:1]]])
    raise AzArgumentError(
        f"'az {shown}' is {RETIRED}; the emulator runs the v2 `ml` extension",
        hint=f"the v2 commands for `az ml {group}`: {_GROUPS[group]} (migration guide: {GUIDE})",
    )


def _options(*spec: str) -> tuple[Option, ...]:
    """Options that only take a value, from 'flag[|alias] dest' words."""
    made = []
    for item in spec:
        flags, dest = item.rsplit(" ", 1)
        made.append(Option(tuple(flags.split("|")), dest, help="v1"))
    return tuple(made)


def _multi(flags: str, dest: str) -> Option:
    return Option(tuple(flags.split("|")), dest, kind="multi", help="v1 (repeatable)")


def _flag(flags: str, dest: str) -> Option:
    return Option(tuple(flags.split("|")), dest, kind="flag", help="v1")


_DEPLOY_VALUES = (
    "--ae ae",
    "--ai ai",
    "--ar ar",
    "--as as",
    "--at at",
    "--autoscale-max-replicas autoscale_max_replicas",
    "--autoscale-min-replicas autoscale_min_replicas",
    "--base-image base_image",
    "--base-image-registry base_image_registry",
    "--cc cc",
    "--cf cf",
    "--collect-model-data collect",
    "--compute-target compute_target",
    "--compute-type compute_type",
    "--cuda-version cuda",
    "--dc|--deploy-config-file dc",
    "--description description",
    "--dn dn",
    "--ds ds",
    "--ed ed",
    "--eg eg",
    "--entry-script|--es entry_script",
    "--environment-name|-e environment_name",
    "--environment-version|--ev environment_version",
    "--failure-threshold failure_threshold",
    "--gb gb",
    "--gc gc",
    "--ic|--inference-config-file ic",
    "--id id",
    "--kp kp",
    "--ks ks",
    "--lo lo",
    "--max-request-wait-time max_wait",
    "--model-metadata-file|-f model_metadata_file",
    "--namespace namespace",
    "--nr nr",
    "--path path",
    "--period-seconds period",
    "--pi pi",
    "--po po",
    "--replica-max-concurrent-requests max_concurrent",
    "--rt|--runtime rt",
    "--sc sc",
    "--scoring-timeout-ms scoring_timeout",
    "--sd|--source-directory sd",
    "--se se",
    "--sk sk",
    "--sp sp",
    "--st st",
    "--timeout-seconds timeout",
    "--token-auth-enabled token_auth",
)

COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "model", "register"),
        model_register,
        "CLI v1 (retired): register a model; runs as az ml model create.",
        (
            NAME_REQUIRED,
            *_options(
                "--model-path|-p model_path",
                "--asset-path asset_path",
                "--run-id|-r run_id",
                "--run-metadata-file|-f run_metadata_file",
                "--output-metadata-file|-t output_metadata_file",
                "--experiment-name experiment_name",
                "--description|-d description",
                "--model-framework framework",
                "--model-framework-version framework_version",
                "--cc cc",
                "--gb gb",
                "--gc gc",
                "--path path",
                "--sample-input-dataset-id sample_input",
                "--sample-output-dataset-id sample_output",
            ),
            _multi("--tag", "tag"),
            _multi("--property", "property"),
        ),
    ),
    Command(
        ("ml", "model", "deploy"),
        model_deploy,
        "CLI v1 (retired): deploy a model as a web service; runs as an online endpoint + deployment.",
        (
            NAME_REQUIRED,
            *_options(*_DEPLOY_VALUES),
            _multi("--model|-m", "model"),
            _multi("--tag", "tag"),
            _multi("--property", "property"),
            _flag("--overwrite", "overwrite"),
            _flag("--no-wait", "no_wait"),
        ),
    ),
    Command(
        ("ml", "service", "show"),
        service_show,
        "CLI v1 (retired): show a web service; runs as az ml online-endpoint show.",
        (NAME_REQUIRED,),
    ),
    Command(
        ("ml", "service", "get-keys"),
        service_keys,
        "CLI v1 (retired): a web service's keys; runs as az ml online-endpoint get-credentials.",
        (NAME_REQUIRED,),
    ),
    Command(
        ("ml", "computetarget", "create", "amlcompute"),
        computetarget_amlcompute,
        "CLI v1 (retired): an AmlCompute cluster; runs as az ml compute create (a record).",
        (
            NAME_REQUIRED,
            *_options(
                "--vm-size|-s vm_size",
                "--min-nodes min_nodes",
                "--max-nodes max_nodes",
                "--idle-seconds-before-scaledown idle_seconds",
                "--vm-priority priority",
                "--admin-username admin",
                "--admin-user-password password",
                "--admin-user-ssh-key ssh_key",
                "--vnet-name vnet",
                "--vnet-resourcegroup-name vnet_group",
                "--subnet-name subnet",
                "--location|-l location",
            ),
            _flag("--remote-login-port-public-access", "remote_login"),
            _flag("--enable-node-public-ip", "public_ip"),
            _flag("--assign-identity", "identity"),
        ),
    ),
    Command(
        ("ml", "computetarget", "create", "aks"),
        computetarget_aks,
        "CLI v1 (retired): an AKS cluster; exits 2 with the v2 way.",
        (),
        workspace=False,
        remainder="rest",
    ),
    Command(
        ("ml", "folder", "attach"),
        folder_attach,
        "CLI v1 (retired): attach a folder to a workspace; runs as az configure --defaults.",
        (*_options("--experiment-name|-e experiment_name", "--path path"),),
        workspace=False,
    ),
    Command(
        ("ml", "run", "submit-script"),
        run_submit_script,
        "CLI v1 (retired): run a script; exits 2 with the v2 command job to write.",
        _options(
            "--experiment-name|-e experiment_name",
            "--conda-dependencies|-d conda_dependencies",
            "--ct|--compute-target compute_target",
            "--source-directory source_directory",
            "--output-metadata-file|-t output_metadata_file",
            "--run-configuration-name|-c run_config",
            "--path path",
        )
        + (_flag("--async", "no_stream"),),
        workspace=False,
        remainder="script",
    ),
    Command(
        ("ml", "run", "submit-pipeline"),
        run_submit_pipeline,
        "CLI v1 (retired): run a pipeline; exits 2 with the v2 way.",
        _options(
            "--pipeline-id|-i pipeline_id",
            "--pipeline-yaml|-y pipeline_yaml",
            "--experiment-name|-n experiment_name",
            "--datapaths|-d datapaths",
            "--parameters|-p parameters",
            "--output-file|-t output_file",
            "--path path",
        ),
        workspace=False,
    ),
    *(
        Command(
            ("ml", group),
            retired_group,
            f"CLI v1 (retired): v2 has {v2}.",
            (),
            workspace=False,
            remainder="rest",
        )
        for group, v2 in _GROUPS.items()
    ),
)
