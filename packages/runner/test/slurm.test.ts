import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { engram, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

// The emitted sbatch array script, run to completion by a real single-node SLURM (slurmctld +
// slurmd on 127.0.0.1, munge). Runs where Debian's slurm-wlm is installed
// (apt-get install slurm-wlm munge); skipped elsewhere. Run as root (slurmd is).
const SLURM =
  spawnSync('sh', ['-c', 'command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged'], { encoding: 'utf8' }).status === 0 &&
  process.getuid?.() === 0;
const dir = tempDir('engram-slurm-');
const conf = join(dir, 'slurm.conf');
const env = { SLURM_CONF: conf };
const port = 20000 + (process.pid % 20000);
let startedMunge = false;

function sh(cmd: string, timeout = 60_000) {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout, env: { ...process.env, ...env } });
}

beforeAll(async () => {
  if (!SLURM) return;
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true });
  const h = hostname();
  writeFileSync(
    conf,
    [
      'ClusterName=engramtest',
      `SlurmctldHost=${h}(127.0.0.1)`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SwitchType=switch/none',
      `NodeName=${h} NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 State=UNKNOWN`,
      'PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  if (!existsSync('/run/munge/munge.socket.2')) {
    mkdirSync('/run/munge', { recursive: true });
    expect(sh('munged --force').status).toBe(0);
    startedMunge = true;
  }
  expect(sh(`slurmctld -f ${conf}`).status).toBe(0);
  expect(sh(`slurmd -f ${conf}`).status).toBe(0);
  for (let i = 0; i < 50 && !/idle/.test(sh('sinfo -h -o %T').stdout); i++) await new Promise((r) => setTimeout(r, 200));
}, 120_000);

afterAll(async () => {
  if (SLURM) {
    const pids = ['slurmctld.pid', 'slurmd.pid']
      .map((f) => join(dir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f, 'utf8').trim());
    sh('scontrol shutdown');
    sh(`kill ${pids.join(' ')} 2>/dev/null`);
    // the daemons write their state files while they stop: wait for them to be gone before removing the folder
    for (let i = 0; i < 50 && pids.some((p) => sh(`kill -0 ${p} 2>/dev/null`).status === 0); i++) await new Promise((r) => setTimeout(r, 100));
    if (startedMunge) sh('kill $(cat /run/munge/munged.pid) 2>/dev/null');
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}, 30_000);

describe.skipIf(!SLURM)('engram compare --emit slurm on a single-node SLURM', () => {
  it('the emitted array script runs every run to completion; the merge compares them', { timeout: 600_000 }, () => {
    const study = writeExperiment(dir, 'slurm-study', tinyCopyExperiment({ name: 'slurm-study', seeds: [1, 2, 3] }));
    const out = join(dir, 'results');
    const emitted = engram([
      'compare',
      study,
      '--emit',
      'slurm',
      '--out',
      out,
      '--backend',
      'cpu',
      '--time-per-task',
      '10',
      '--mem-per-task',
      '1500',
      '--max-parallel',
      '2',
    ]);
    expect(emitted.status).toBe(0);
    expect(emitted.stdout).toContain('#SBATCH --array=0-2%2');
    const script = join(dir, 'array.sh');
    writeFileSync(script, emitted.stdout);
    const submitted = sh(`sbatch --wait ${script}`, 540_000);
    expect(submitted.status, `${submitted.stdout}${submitted.stderr}`).toBe(0);
    expect(readdirSync(join(out, 'slurm')).filter((f) => f.endsWith('.out'))).toHaveLength(3);
    expect(engram(['compare', study, '--emit', 'jobs', '--out', out]).stdout).toBe(''); // nothing left to do
    const merged = engram(['compare', study, '--no-train', '--out', out, '--backend', 'cpu']);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toMatch(/\| default \| \d\/3 \|/);
  });
});
