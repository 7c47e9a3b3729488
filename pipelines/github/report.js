// Shared by preview_comment.js and drift_issue.js: the text of a Pulumi run, fit for GitHub.
'use strict';

const fs = require('fs');

// GitHub refuses issue and comment bodies over 65,536 characters; the rest is for the frame.
const LIMIT = 60000;
// Kept from the start of a long output (the diff); the rest from its end, where the CLI prints
// the policy findings, the error and the summary of changes.
const HEAD = 15000;

function clip(text, limit = LIMIT, head = HEAD) {
  if (text.length <= limit) {
    return text;
  }
  const cut = text.length - limit;
  return `${text.slice(0, head)}\n... ${cut} characters cut here: the whole output is in the job log ...\n${text.slice(-(limit - head))}`;
}

function readOutput(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    return `(no output: ${err.message})`;
  }
}

// A fenced block that the output itself cannot close.
function fenced(text) {
  return ['````text', clip(text).replace(/````/g, '` ` ` `'), '````'].join('\n');
}

function runUrl(context) {
  return `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
}

module.exports = { LIMIT, clip, fenced, readOutput, runUrl };
