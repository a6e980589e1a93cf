import { z } from 'zod';
import { ACCESS_ORDERS, KERNEL_CHOICES, MEMORY_INITS, MEMORY_KINDS, MODE_KINDS, SIMILARITIES } from '@engram/memory';
import type { MemorySettings } from '@engram/model';

/** Names of the tasks the runner knows (one package each under tasks/). */
export const TASK_NAMES = ['copy', 'repeat-copy', 'associative-recall', 'priority-sort', 'ngrams'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

const posInt = z.number().int().min(1);
const positive = z.number().positive();

const controller = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lstm'), units: z.union([posInt, z.array(posInt).min(1)]), layers: posInt.optional() }).strict(),
  z.object({ kind: z.literal('gru'), units: z.union([posInt, z.array(posInt).min(1)]), layers: posInt.optional() }).strict(),
  z
    .object({
      kind: z.literal('feedforward'),
      units: z.union([posInt, z.array(posInt).min(1)]),
      layers: posInt.optional(),
      activation: z.enum(['tanh', 'relu', 'sigmoid']).optional(),
    })
    .strict(),
]);

const mode = z.union([
  z.enum(MODE_KINDS),
  z
    .object({
      kind: z.enum(MODE_KINDS),
      tau: positive.optional(),
      hard: z.boolean().optional(),
      k: posInt.optional(),
      entropy: z.number().min(0).optional(),
      softMix: z.number().min(0).max(1).optional(),
    })
    .strict(),
]);

const ntmMemory = z
  .object({
    kind: z.literal('ntm').optional(),
    slots: posInt,
    width: posInt,
    readHeads: posInt.optional(),
    writeHeads: posInt.optional(),
    shiftRange: z.number().int().min(0).optional(),
    similarity: z.enum(SIMILARITIES).optional(),
    readMode: z.union([mode, z.array(mode).min(1)]).optional(),
    writeMode: z.union([mode, z.array(mode).min(1)]).optional(),
    init: z.enum(MEMORY_INITS).optional(),
    kernels: z.enum(KERNEL_CHOICES).optional(),
    order: z.enum(ACCESS_ORDERS).optional(),
    writeGateBias: z.number().min(-20).max(20).optional(),
    rowNormFloor: z.number().gt(0).max(1).optional(),
  })
  .strict();

/** The DNC's memory (Graves et al. 2016); masking, deallocation and sharpness are the DNC-MD options, default off. */
const dncMemory = z
  .object({
    kind: z.literal('dnc'),
    slots: posInt,
    width: posInt,
    readHeads: posInt.optional(),
    writeHeads: posInt.optional(),
    init: z.enum(MEMORY_INITS).optional(),
    masking: z.boolean().optional(),
    deallocation: z.boolean().optional(),
    sharpness: z.boolean().optional(),
    kernels: z.enum(KERNEL_CHOICES).optional(),
  })
  .strict();

/** SAM (Rae et al. 2016): exact top-k content reads, one write head to the rows last read and the least-used row. */
const samMemory = z
  .object({
    kind: z.literal('sam'),
    slots: posInt,
    width: posInt,
    readHeads: posInt.optional(),
    writeHeads: z.literal(1).optional(),
    k: posInt.optional(),
    usageDecay: z.number().gt(0).max(1).optional(),
    rowNormFloor: z.number().gt(0).max(1).optional(),
    init: z.enum(MEMORY_INITS).optional(),
  })
  .strict()
  .refine((m) => (m.k ?? Math.min(8, m.slots)) <= m.slots, { path: ['k'], message: 'k must be at most slots' });

const memoryKind = `use one of ${MEMORY_KINDS.join(', ')} (default ntm)`;
/** `kind` picks the memory (absent = ntm), then that memory's fields are checked. */
/**
 * The schemas check JSON; the memory config itself is one type, the memory package's
 * (MemoryAccessConfig / DncAccessConfig / SamAccessConfig, as @engram/model's MemorySettings). These lines fail to
 * compile when a schema and that type drift apart: a field in one and not the other, or a value
 * the schema accepts that the type does not.
 */
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type NtmSettings = Extract<MemorySettings, { kind?: 'ntm' }>;
type DncSettings = Extract<MemorySettings, { kind: 'dnc' }>;
type SamSettings = Extract<MemorySettings, { kind: 'sam' }>;
const ntmFieldsMatch: Exactly<keyof z.infer<typeof ntmMemory>, keyof NtmSettings> = true;
const dncFieldsMatch: Exactly<keyof z.infer<typeof dncMemory>, keyof DncSettings> = true;
const ntmValuesFit: z.infer<typeof ntmMemory> extends NtmSettings ? true : false = true;
const dncValuesFit: z.infer<typeof dncMemory> extends DncSettings ? true : false = true;
const samFieldsMatch: Exactly<keyof z.infer<typeof samMemory>, keyof SamSettings> = true;
const samValuesFit: z.infer<typeof samMemory> extends SamSettings ? true : false = true;
void [ntmFieldsMatch, dncFieldsMatch, ntmValuesFit, dncValuesFit, samFieldsMatch, samValuesFit];

const memory = z
  .unknown()
  .superRefine((value, ctx) => {
    const kind = value !== null && typeof value === 'object' ? ((value as { kind?: unknown }).kind ?? 'ntm') : 'ntm';
    if (!(MEMORY_KINDS as readonly unknown[]).includes(kind)) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: memoryKind });
      return;
    }
    const result = (kind === 'dnc' ? dncMemory : kind === 'sam' ? samMemory : ntmMemory).safeParse(value);
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue(issue as never);
  })
  .transform((v) => v as z.infer<typeof ntmMemory> | z.infer<typeof dncMemory> | z.infer<typeof samMemory>);

/** A model as an experiment states it: the task supplies the input and output sizes. */
export const modelSchema = z
  .object({
    kind: z.enum(['ntm', 'lstm']),
    controller,
    memory: memory.optional(),
  })
  .strict();

/** Piecewise-constant learning rate: after `afterStep` updates the rate becomes `lr`. */
const lrSchedule = z
  .array(z.object({ afterStep: posInt, lr: positive }).strict())
  .min(1)
  .refine((changes) => changes.every((c, i) => i === 0 || c.afterStep > (changes[i - 1] as { afterStep: number }).afterStep), {
    error: 'list the changes by strictly increasing afterStep, e.g. [{ "afterStep": 4800, "lr": 3e-5 }]',
  });

const optimizer = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('adam'),
      lr: positive.optional(),
      beta1: z.number().min(0).lt(1).optional(),
      beta2: z.number().min(0).lt(1).optional(),
      epsilon: positive.optional(),
      lrSchedule: lrSchedule.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rmsprop'),
      lr: positive.optional(),
      decay: z.number().min(0).lt(1).optional(),
      momentum: z.number().min(0).lt(1).optional(),
      epsilon: positive.optional(),
      lrSchedule: lrSchedule.optional(),
    })
    .strict(),
]);

const stopCost = 'use a positive cost in bits per sequence, e.g. { "cost": 0.1 }';

export const trainSchema = z
  .object({
    steps: posInt,
    batchSize: posInt,
    optimizer: optimizer.optional(),
    clip: z.object({ globalNorm: positive.optional(), value: positive.optional() }).strict().optional(),
    evalEvery: posInt.optional(),
    evalSequences: posInt.optional(),
    checkpointEvery: posInt.optional(),
    gumbelTau: z.object({ start: positive, end: positive, steps: posInt }).strict().optional(),
    lengths: z.enum(['per-sequence', 'per-batch']).optional(),
    /** Threads each training batch is split over (data-parallel; batch >= 32, wasm or cpu); default 1. */
    threads: z
      .number()
      .int({ error: 'use an integer number of threads, e.g. 2' })
      .min(1, { error: 'use at least 1 thread' })
      .max(16, { error: 'use at most 16 threads' })
      .optional(),
    /** End training at the first evaluation below `cost` bits per sequence; `steps` stays the cap. */
    stopWhen: z
      .object({ cost: z.number({ error: stopCost }).positive({ error: stopCost }), checkEvery: posInt.optional() })
      .strict()
      .optional(),
  })
  .strict();

export const curriculumSchema = z
  .object({
    start: posInt,
    step: posInt.optional(),
    threshold: positive.optional(),
  })
  .strict();

/** `kind: "module"` names a task of your own: an ES module whose default export is a TaskDefinition. */
export const TASK_MODULE = 'module';

export const taskSchema = z
  .object({
    kind: z.enum([...TASK_NAMES, TASK_MODULE]),
    /** With kind "module": the module's path, relative to the experiment file (absolute once loaded). */
    module: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.kind === TASK_MODULE && t.module === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['module'],
        message: 'is required with kind "module": give the path of an ES module whose default export is a task definition (see examples/custom-task)',
      });
    }
    if (t.kind !== TASK_MODULE && t.module !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['module'], message: `is only read with kind "module"; remove it, or set kind to "module" to use your own task` });
    }
  });

export const evalSchema = z
  .object({
    lengths: z.array(posInt).min(1).optional(),
    count: posInt.optional(),
  })
  .strict();

/** The blocks of a run's settings that a variant overrides, or takes whole from another variant (`extends`). */
export const VARIANT_BLOCKS = ['task', 'model', 'train', 'curriculum', 'eval'] as const;

/**
 * The hint for an unknown key in an `extends` object. A strict object's own message for
 * unknown keys replaces the generic one in the error line (errors.ts, schemaError).
 */
const unknownBlockHint = (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys'
    ? `an "extends" object maps blocks to variants: use ${VARIANT_BLOCKS.slice(0, -1).join(', ')} or ${VARIANT_BLOCKS.at(-1)}`
    : undefined;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A check that no two items of a named list (variants, figures) share a name. */
const namesOnce =
  (what: string) =>
  (items: readonly { name: string }[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${what} name '${item.name}' is used twice; give each ${what} its own name` });
      seen.add(item.name);
    });
  };

/** One fully specified run configuration (after a variant is merged in). */
export const runSpecSchema = z
  .object({
    task: taskSchema,
    model: modelSchema,
    train: trainSchema,
    curriculum: curriculumSchema.optional(),
    eval: evalSchema.optional(),
  })
  .strict();

/** An experiment file: one base configuration, several seeds, optional variants overriding parts of it. */
export const experimentSchema = runSpecSchema
  .extend({
    name,
    description: z.string().optional(),
    seeds: z
      .array(z.number().int())
      .min(1)
      .refine((s) => new Set(s).size === s.length, { error: 'list each seed once' }),
    variants: z
      .array(
        z
          .object({
            name,
            description: z.string().optional(),
            /**
             * Another variant of this experiment whose settings this one starts from instead of the
             * base, or one variant per block (`{ "model": "dnc", "train": "ntm-rmsprop" }`).
             */
            extends: z
              .union([z.string(), z.strictObject(Object.fromEntries(VARIANT_BLOCKS.map((b) => [b, z.string().optional()])), { error: unknownBlockHint })])
              .optional(),
            task: z.record(z.string(), z.unknown()).optional(),
            model: z.record(z.string(), z.unknown()).optional(),
            train: z.record(z.string(), z.unknown()).optional(),
            curriculum: z.record(z.string(), z.unknown()).optional(),
            eval: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1)
      // two variants of one name would share their run directories and their row in compare
      .superRefine(namesOnce('variant'))
      .optional(),
    /**
     * Extra learning-curve plots of chosen variants (plots/figure-<name>.svg in the study), for a
     * comparison the per-task plot of every variant buries: `{ "name": "ntm-vs-lstm", "variants":
     * ["ntm", "lstm"] }`. The variants must be the experiment's (checked when it loads).
     */
    figures: z
      .array(z.strictObject({ name, title: z.string().optional(), variants: z.array(z.string()).min(1) }))
      // two figures of one name would write one plot
      .superRefine(namesOnce('figure'))
      .optional(),
  })
  .strict();

export type RunSpec = z.infer<typeof runSpecSchema>;
export type Experiment = z.infer<typeof experimentSchema>;
