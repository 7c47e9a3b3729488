// The output of `pulumi preview` (the diff and the policy pack's findings) as a comment on the
// pull request, one per stack, edited by later runs; posted whether the preview passed or failed
// (pulumi/actions v7 throws before it comments on a failed command: pulumi/actions src/main.ts,
// runAction). The same text goes to the job summary. Called by actions/github-script from
// .github/workflows/infra.yml, with STACK, OUTCOME (the preview step's) and OUTPUT_FILE in the env.
'use strict';

const { fenced, readOutput, runUrl } = require('./report.js');

function marker(stack) {
  return `<!-- azureml-infra: pulumi preview ${stack} -->`;
}

function commentBody({ stack, outcome, output, sha, url }) {
  const passed = outcome === 'success';
  const verdict = passed ? 'passed' : 'FAILED';
  return [
    marker(stack),
    `### \`pulumi preview\` of stack \`${stack}\`: ${verdict}`,
    '',
    `Commit ${sha}, [workflow run](${url}). The diff, then the policy pack's findings and the summary.`,
    '',
    `<details${passed ? '' : ' open'}><summary>Output of pulumi preview</summary>`,
    '',
    fenced(output),
    '',
    '</details>',
  ].join('\n');
}

module.exports = async ({ github, context, core }) => {
  const { STACK: stack, OUTCOME: outcome, OUTPUT_FILE: file } = process.env;
  const pr = context.payload.pull_request;
  const body = commentBody({
    stack,
    outcome,
    output: readOutput(file),
    sha: pr ? pr.head.sha : context.sha,
    url: runUrl(context),
  });
  await core.summary.addRaw(body).write();
  if (!pr) {
    return 'not a pull request: job summary only';
  }
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number: pr.number, per_page: 100,
  });
  const mine = comments.find(
    (c) => c.user && c.user.type === 'Bot' && typeof c.body === 'string' && c.body.startsWith(marker(stack)),
  );
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return `updated comment ${mine.id}`;
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number: pr.number, body });
  return `created comment ${created.data.id}`;
};

module.exports.commentBody = commentBody;
module.exports.marker = marker;
