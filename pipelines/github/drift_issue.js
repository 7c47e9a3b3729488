// The nightly drift check's report (.github/workflows/drift.yml): the job summary, and one issue
// per stack, opened on a failure, updated by each later failure (its body holds the latest diff;
// a comment links the run) and closed by a clean run. Called by actions/github-script with STACK,
// OUTCOME (the drift step's) and OUTPUT_FILE in the env.
'use strict';

const { fenced, readOutput, runUrl } = require('./report.js');

function marker(stack) {
  return `<!-- azureml-infra: drift ${stack} -->`;
}

function title(stack) {
  return `Drift in stack ${stack}`;
}

function issueBody({ stack, output, url }) {
  return [
    marker(stack),
    `The nightly drift check of stack \`${stack}\` failed in [this run](${url}): Azure differs from`,
    'what the program and its state say, or a mandatory policy fails, or the check could not run',
    '(the output says which). Decide whether to refresh the state or re-apply the program:',
    'docs/delivery.md, Drift. This issue closes itself after a clean run.',
    '',
    '<details open><summary>Output of make drift (pulumi preview --refresh --expect-no-changes --diff)</summary>',
    '',
    fenced(output),
    '',
    '</details>',
  ].join('\n');
}

module.exports = async ({ github, context, core }) => {
  const { STACK: stack, OUTCOME: outcome, OUTPUT_FILE: file } = process.env;
  const output = readOutput(file);
  const url = runUrl(context);
  const clean = outcome === 'success';
  await core.summary
    .addHeading(`Drift check of stack ${stack}: ${clean ? 'no drift' : 'FAILED'}`, 3)
    .addRaw(fenced(output))
    .write();
  const { owner, repo } = context.repo;
  const open = await github.paginate(github.rest.issues.listForRepo, {
    owner, repo, state: 'open', per_page: 100,
  });
  const existing = open.find(
    (i) => !i.pull_request && typeof i.body === 'string' && i.body.startsWith(marker(stack)),
  );
  if (clean) {
    if (!existing) {
      return 'no drift';
    }
    await github.rest.issues.createComment({
      owner, repo, issue_number: existing.number, body: `No drift in [this run](${url}): closing.`,
    });
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed' });
    return `closed issue ${existing.number}`;
  }
  const body = issueBody({ stack, output, url });
  if (existing) {
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, body });
    await github.rest.issues.createComment({
      owner, repo, issue_number: existing.number, body: `Still failing in [this run](${url}); the body has its output.`,
    });
    core.setFailed(`drift in stack ${stack}: issue #${existing.number} updated`);
    return `updated issue ${existing.number}`;
  }
  const created = await github.rest.issues.create({ owner, repo, title: title(stack), body });
  core.setFailed(`drift in stack ${stack}: issue #${created.data.number} opened`);
  return `opened issue ${created.data.number}`;
};

module.exports.issueBody = issueBody;
module.exports.marker = marker;
module.exports.title = title;
