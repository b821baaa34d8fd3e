/**
 * What each config key and helper means, for hover and completion: the one
 * table of option docs. Defaults are the engine's (src/engine/config.ts and the
 * specs); a new option or helper adds its row here.
 */
import { ANY_EXECUTOR_DOCS } from "./executor-docs.ts";

export interface OptionDoc {
  summary: string;
  default?: string;
  /** Ray Tune's name, so a Ray user recognises it. */
  ray?: string;
  /** Completion snippet for the whole property (LSP snippet syntax). */
  snippet?: string;
}

export const TOP_LEVEL: Readonly<Record<string, OptionDoc>> = {
  name: { summary: "Name of the experiment; its directory is `<storage>/<name>-<date>`.", default: '"experiment"', snippet: 'name: "${1:experiment}",' },
  trainable: { summary: 'What runs one trial: `{ command: ["python", "train.py"] }` (any program speaking the report protocol) or `{ python: "module:function" }`.', snippet: 'trainable: { command: ["${1:python3}", "${2:train.py}"] },' },
  space: { summary: "The search space: parameters as distributions (`uniform`, `loguniform`, `choice`, `grid`, ...), constants or nested objects.", ray: "param_space", snippet: "space: {\n\t${1:lr}: ${2:loguniform(1e-4, 1e-1)},\n}," },
  metric: { summary: "The reported value to optimise; searchers, schedulers and `tunelab best` rank trials by it.", snippet: 'metric: "${1:val_loss}",' },
  mode: { summary: 'Whether `metric` is minimised (`"min"`) or maximised (`"max"`).', snippet: 'mode: "${1|min,max|}",' },
  samples: { summary: "How many times the space is sampled; every `grid` combination is repeated this many times.", default: "1", ray: "num_samples", snippet: "samples: ${1:10}," },
  search: { summary: "The search algorithm: `randomSearch()` or `gridSearch()` (Ray's BasicVariantGenerator).", default: "randomSearch()", ray: "search_alg", snippet: "search: ${1:randomSearch({ seed: ${2:0} })}," },
  scheduler: { summary: "The trial scheduler, which may stop or pause trials early: `fifo()` runs each to its stopping criteria.", default: "fifo()", ray: "scheduler", snippet: "scheduler: ${1:fifo()}," },
  stop: { summary: "When a trial stops: `{ training_iteration: 30, val_acc: 0.99 }` (any reached), `maxIterations(n)`, `trialTimeout(s)`, `plateau({...})`, `stopWhen(fn)`, or a list.", ray: "stop", snippet: "stop: { ${1:training_iteration}: ${2:10} }," },
  timeBudgetS: { summary: "Wall-clock budget of the whole experiment, in seconds; running trials are stopped when it is spent.", ray: "time_budget_s", snippet: "timeBudgetS: ${1:3600}," },
  concurrency: { summary: "At most this many trials run at once.", default: "as many as resources allow", ray: "max_concurrent_trials", snippet: "concurrency: ${1:2}," },
  resources: { summary: "CPUs and GPUs each trial needs; fractional GPUs share a device (0.5 = two trials per GPU).", default: "{ cpu: 1, gpu: 0 }", ray: "resources_per_trial", snippet: "resources: { cpu: ${1:1}, gpu: ${2:0} }," },
  checkpoints: { summary: "Checkpoint retention: keep the best `keep` by `scoreAttr` (plus the latest).", default: "keep all", ray: "CheckpointConfig", snippet: 'checkpoints: { keep: ${1:2}, scoreAttr: "${2:val_loss}", scoreOrder: "${3|min,max|}" },' },
  maxFailures: { summary: "Retries of a failed trial, each from its latest checkpoint; -1 retries forever.", default: "0", ray: "max_failures", snippet: "maxFailures: ${1:1}," },
  storage: { summary: "Where experiment directories go, relative to the config file.", default: '".tunelab"', ray: "storage_path", snippet: 'storage: "${1:.tunelab}",' },
  executor: { summary: 'Where trials run: `{ kind: "local", cpus?, gpus? }` (this machine), `{ kind: "ssh", hosts: [{ host, cpus }] }` (hosts over ssh, docs/executors.md) or `{ kind: "slurm", partition?, time? }` (sbatch jobs, docs/slurm.md).', default: '{ kind: "local" } with the machine\'s CPUs and nvidia-smi\'s GPUs', snippet: 'executor: { kind: "local", gpus: ${1:1} },' },
  stopGraceS: { summary: "Seconds between SIGTERM and SIGKILL when a trial is stopped.", default: "5", snippet: "stopGraceS: ${1:5}," },
  seed: { summary: "Seed of the whole experiment (sampling, searchers, schedulers), so a run can be replayed.", default: "a fresh random seed, recorded in experiment.json", snippet: "seed: ${1:0}," },
};

/** Keys of the object-valued sections. */
export const SECTIONS: Readonly<Record<string, Readonly<Record<string, OptionDoc>>>> = {
  trainable: {
    command: { summary: "The argument vector of the trial program (no shell).", snippet: 'command: ["${1:python3}", "${2:train.py}"],' },
    python: { summary: '`"module:function"` or `"module:Class"` run by the bundled `tunelab` Python package.', snippet: 'python: "${1:train}:${2:train_fn}",' },
    interpreter: { summary: "The Python interpreter of a python trainable.", default: '"python3"', snippet: 'interpreter: "${1:python3}",' },
    cwd: { summary: "Working directory of the trial process, relative to the config file.", default: "the config file's folder", snippet: 'cwd: "${1:.}",' },
    env: { summary: "Extra environment variables for the trial process.", snippet: 'env: { ${1:NAME}: "${2:value}" },' },
  },
  resources: {
    cpu: { summary: "CPUs each trial needs.", default: "1", ray: "cpu", snippet: "cpu: ${1:1}," },
    gpu: { summary: "GPUs each trial needs; a fraction ≤ 1 shares one GPU. `CUDA_VISIBLE_DEVICES` is set per trial.", default: "0", ray: "gpu", snippet: "gpu: ${1:1}," },
  },
  checkpoints: {
    keep: { summary: "How many checkpoints to keep per trial (the best by scoreAttr, plus the latest).", default: "all", ray: "num_to_keep", snippet: "keep: ${1:2}," },
    scoreAttr: { summary: "The reported value that ranks checkpoints.", default: "the latest are kept", ray: "checkpoint_score_attribute", snippet: 'scoreAttr: "${1:val_loss}",' },
    scoreOrder: { summary: 'Whether a higher (`"max"`) or lower (`"min"`) scoreAttr is better.', default: '"max"', ray: "checkpoint_score_order", snippet: 'scoreOrder: "${1|min,max|}",' },
    frequency: { summary: "Class trainables: save every N iterations (0 = never).", default: "0", ray: "checkpoint_frequency", snippet: "frequency: ${1:5}," },
    atEnd: { summary: "Class trainables: save when the trial ends.", default: "false", ray: "checkpoint_at_end", snippet: "atEnd: ${1|true,false|}," },
  },
  // Keys of every kind, each saying which kinds have it; executorDocsAt gives one kind's.
  executor: ANY_EXECUTOR_DOCS,
  search: {
    kind: { summary: 'The searcher: `"basic_variant"` (random and grid search). Prefer the helpers `randomSearch()` / `gridSearch()`.' },
    seed: { summary: "Seed of the searcher's sampling.", default: "the experiment's seed", snippet: "seed: ${1:0}," },
    pointsToEvaluate: { summary: "Configs to try first; keys they leave out are sampled from the space. Each replaces one sample.", ray: "points_to_evaluate", snippet: "pointsToEvaluate: [{ ${1:lr}: ${2:0.01} }]," },
  },
  scheduler: {
    kind: { summary: 'The scheduler: `"fifo"` runs every trial to its stopping criteria. Prefer the helper `fifo()`.' },
  },
};

export interface HelperDoc {
  signature: string;
  summary: string;
  snippet: string;
}

/** The helpers a config imports from "tunelab", with completion snippets. */
export const HELPER_DOCS: Readonly<Record<string, HelperDoc>> = {
  uniform: { signature: "uniform(lower, upper)", summary: "A float in [lower, upper), every value equally likely.", snippet: "uniform(${1:0}, ${2:1})" },
  quniform: { signature: "quniform(lower, upper, q)", summary: "A float in [lower, upper) rounded to a multiple of q.", snippet: "quniform(${1:0}, ${2:1}, ${3:0.1})" },
  loguniform: { signature: "loguniform(lower, upper, base = 10)", summary: "A float in [lower, upper) on a log scale: every decade equally likely. Bounds must be > 0.", snippet: "loguniform(${1:1e-4}, ${2:1e-1})" },
  qloguniform: { signature: "qloguniform(lower, upper, q, base = 10)", summary: "A log-scale float rounded to a multiple of q.", snippet: "qloguniform(${1:1e-4}, ${2:1e-1}, ${3:5e-5})" },
  randn: { signature: "randn(mean = 0, sd = 1)", summary: "A normally distributed float.", snippet: "randn(${1:0}, ${2:1})" },
  qrandn: { signature: "qrandn(mean, sd, q)", summary: "A normally distributed float rounded to a multiple of q.", snippet: "qrandn(${1:0}, ${2:1}, ${3:0.1})" },
  randint: { signature: "randint(lower, upper)", summary: "An integer in [lower, upper): upper is exclusive, as in Ray Tune.", snippet: "randint(${1:0}, ${2:10})" },
  qrandint: { signature: "qrandint(lower, upper, q = 1)", summary: "A multiple of q in [lower, upper]: upper is inclusive, as in Ray Tune.", snippet: "qrandint(${1:8}, ${2:128}, ${3:8})" },
  lograndint: { signature: "lograndint(lower, upper, base = 10)", summary: "An integer in [lower, upper) on a log scale.", snippet: "lograndint(${1:1}, ${2:1000})" },
  choice: { signature: "choice(categories)", summary: "One of the categories, each equally likely.", snippet: "choice([${1:16, 32, 64}])" },
  grid: { signature: "grid(values)", summary: "Every value in turn: the grids of a space form a cartesian product, run `samples` times.", snippet: "grid([${1:0.1, 0.01}])" },
  sampleFrom: { signature: "sampleFrom(({ config }) => value)", summary: "A value computed from the rest of the sampled config.", snippet: "sampleFrom(({ config }) => ${1:config.lr * 2})" },
  maxIterations: { signature: "maxIterations(n)", summary: "Stop each trial after n reported results.", snippet: "maxIterations(${1:10})" },
  trialTimeout: { signature: "trialTimeout(seconds)", summary: "Stop any trial running longer than `seconds`, reporting or not.", snippet: "trialTimeout(${1:600})" },
  experimentTimeout: { signature: "experimentTimeout(seconds)", summary: "Stop the whole experiment after `seconds`.", snippet: "experimentTimeout(${1:3600})" },
  plateau: { signature: "plateau({ metric, std = 0.01, numResults = 4, gracePeriod = 4, metricThreshold?, mode? })", summary: "Stop a trial whose metric stopped moving: std of its last numResults values below std.", snippet: 'plateau({ metric: "${1:val_loss}" })' },
  stopWhen: { signature: "stopWhen((trialId, result) => boolean)", summary: "Stop a trial when the function returns true.", snippet: "stopWhen((_id, r) => ${1:r.val_loss < 0.1})" },
  randomSearch: { signature: "randomSearch({ seed?, pointsToEvaluate? })", summary: "Random search: sample the space `samples` times (grids still expand).", snippet: "randomSearch()" },
  gridSearch: { signature: "gridSearch({ seed?, pointsToEvaluate? })", summary: "Grid search: every combination of the grid values, × samples.", snippet: "gridSearch()" },
  fifo: { signature: "fifo()", summary: "First in, first out: every trial runs to its stopping criteria.", snippet: "fifo()" },
};

/** Helpers offered where a value of each section is expected. */
export const HELPERS_FOR: Readonly<Record<string, readonly string[]>> = {
  space: ["uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn", "randint", "qrandint", "lograndint", "choice", "grid", "sampleFrom"],
  stop: ["maxIterations", "trialTimeout", "experimentTimeout", "plateau", "stopWhen"],
  search: ["randomSearch", "gridSearch"],
  scheduler: ["fifo"],
};

/** Ray's auto-filled result fields: offered after the trainable's own metrics. */
export const AUTO_RESULT_FIELDS: readonly string[] = [
  "training_iteration", "time_total_s", "time_this_iter_s", "time_since_restore", "iterations_since_restore",
  "timestamp", "timesteps_total", "episodes_total",
];

/** Markdown for one option. */
export function optionMarkdown(title: string, doc: OptionDoc): string {
  const lines = [`**${title}** — ${doc.summary}`];
  if (doc.default !== undefined) lines.push(`Default: ${doc.default}`);
  if (doc.ray !== undefined) lines.push(`Ray Tune: \`${doc.ray}\``);
  return lines.join("\n\n");
}
