// Runs the pipeline state machine of infra/template.yaml, as deployed, with a real
// Amazon States Language interpreter (aws-local-stepfunctions), and prints what happened
// as one JSON object on stdout.
//
//   node run.mjs CONFIG.json
//
// CONFIG: {
//   "template": path of infra/template.yaml,
//   "substitutions": { "IngestMaxRounds": "5", ... }      // DefinitionSubstitutions
//   "functions": { "<function ARN>": "http://127.0.0.1:PORT", ... },
//   "waitMs": 200,        // each Wait state's pause, instead of its seconds
//   "retryMs": 50,        // each Retry's pause, instead of IntervalSeconds
//   "retryMsFor": { "JobsBusy": 1000 },  // the pause of a retrier for these errors
//   "input": {}           // the execution's input (EventBridge Scheduler sends {})
// }
//
// The functions are the real binaries, each behind cargo lambda's runtime emulator
// (`cargo lambda watch --only-lambda-apis`), which answers Lambda's Invoke API.
//
// What the interpreter does not do, and what stands in here:
// - The `arn:aws:states:::lambda:invoke` integration. The interpreter only invokes plain
//   function ARNs through the AWS SDK. Each Task whose Resource is that integration gets
//   a local handler that does what the integration does: it invokes `FunctionName` with
//   `Payload`, wraps the answer as `{ExecutedVersion, Payload, StatusCode,
//   SdkHttpMetadata, SdkResponseMetadata}`, fails a function error with the function's
//   `errorType` as the error name and the error object, as JSON text, as the cause, and
//   fails with `Lambda.ServiceException`, `Lambda.TooManyRequestsException` or
//   `Lambda.SdkClientException` where Lambda itself fails, as the service names them.
// - The `arn:aws:states:::sns:publish` integration. Its handler checks what SNS would
//   refuse (no TopicArn, a Message that is not a string or over 256 KiB) and records the
//   message in the report's `published`, instead of sending it.
// - The context object: the execution's Id and Name and the state machine's, as Step
//   Functions sets them (`executionName` in CONFIG, else "local").
// - The emulator answers a function error with HTTP 500 and the error object; Lambda
//   answers 200 with `X-Amz-Function-Error`. The handler accepts both.
// - The 256 KiB limit on a state's input and output: the interpreter does not enforce
//   it, so this runner measures every state's input and output and reports the largest.
// - `TimeoutSeconds` of the execution (two days) and the Wait and Retry pauses run on
//   the interpreter's clock, shortened by `waitMs` and `retryMs`; Task `TimeoutSeconds`
//   is enforced as written.
// - Not part of the definition, so not exercised here: `LoggingConfiguration`, the
//   execution history, and the EventBridge event on a failed execution (the alerting
//   rule is checked by the template's lint rules instead).
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';

// The interpreter asks for Node 22 and, of Node 22, uses only Promise.withResolvers
// (ES2024); Debian's and NodeSource's Node 20 lack it, so it is defined here first.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import('aws-local-stepfunctions');

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const SNS_PUBLISH = /^arn:aws[a-z-]*:states:::sns:publish$/;
const SNS_MESSAGE_LIMIT_BYTES = 256 * 1024;
const STATE_LIMIT_BYTES = 256 * 1024;

// CloudFormation's short-form intrinsics (!Sub, !Ref, ...) in any YAML node kind, kept
// as the long form so the document parses; the definition itself uses none.
const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Select',
  'Split', 'Join', 'FindInMap', 'GetAZs', 'ImportValue', 'Base64', 'Cidr', 'Condition',
  'Transform'];
const customTags = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const resolve = (value) => ({ [key]: value && value.toJSON ? value.toJSON() : value });
  return [
    { tag: `!${name}`, resolve },
    { tag: `!${name}`, collection: 'seq', resolve },
    { tag: `!${name}`, collection: 'map', resolve },
  ];
});

/** The state machine's definition from the template, with `${Name}` substituted. */
export async function definitionFromTemplate(templatePath, substitutions) {
  const doc = parseDocument(await readFile(templatePath, 'utf8'), { customTags });
  if (doc.errors.length > 0) {
    throw new Error(`${templatePath}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  const template = doc.toJSON();
  const machines = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1) {
    throw new Error(`${templatePath}: expected one state machine, found ${machines.length}`);
  }
  const [name, machine] = machines[0];
  const declared = Object.keys(machine.Properties.DefinitionSubstitutions ?? {});
  const missing = declared.filter((k) => !(k in substitutions));
  if (missing.length > 0) {
    throw new Error(`${name}: no value given for the substitutions ${missing.join(', ')}`);
  }
  const text = JSON.stringify(machine.Properties.Definition).replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (whole, key) => {
      if (!declared.includes(key)) {
        throw new Error(`${name}: the definition uses \${${key}}, which is not substituted`);
      }
      return String(substitutions[key]).replace(/["\\]/g, (c) => `\\${c}`);
    },
  );
  return JSON.parse(text);
}

/** An error with the name Step Functions matches in Retry and Catch. */
function named(name, cause) {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The `lambda:invoke` integration, over the Invoke API at `endpoint`. */
function lambdaInvoke(functions, stateName) {
  return async (input) => {
    const endpoint = functions[input.FunctionName];
    if (endpoint === undefined) {
      throw named('Lambda.ResourceNotFoundException',
        `${stateName}: no function ${input.FunctionName} (known: ${Object.keys(functions).join(', ')})`);
    }
    let response;
    try {
      response = await fetch(`${endpoint}/2015-03-31/functions/_/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input.Payload ?? {}),
      });
    } catch (e) {
      throw named('Lambda.SdkClientException', `${stateName}: ${e.cause?.message ?? e.message}`);
    }
    const text = await response.text();
    let body = null;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const functionError = response.headers.get('x-amz-function-error') !== null
      || (response.status === 500 && body !== null && typeof body.errorType === 'string');
    if (functionError) {
      throw named(body?.errorType ?? 'Lambda.Unknown', JSON.stringify(body ?? text));
    }
    if (response.status === 429) {
      throw named('Lambda.TooManyRequestsException', text);
    }
    if (response.status >= 500) {
      throw named('Lambda.ServiceException', `${response.status} ${text}`);
    }
    if (response.status >= 400) {
      throw named('Lambda.AWSLambdaException', `${response.status} ${text}`);
    }
    return {
      ExecutedVersion: '$LATEST',
      Payload: body,
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: response.headers.get('lambda-runtime-aws-request-id') ?? '' },
      StatusCode: 200,
    };
  };
}

/** The `sns:publish` integration: checked as SNS checks it, then recorded. */
function snsPublish(published, stateName) {
  return async (input) => {
    if (typeof input.TopicArn !== 'string' || input.TopicArn.length === 0) {
      throw named('SNS.InvalidParameterException', `${stateName}: no TopicArn`);
    }
    if (typeof input.Message !== 'string'
      || Buffer.byteLength(input.Message, 'utf8') > SNS_MESSAGE_LIMIT_BYTES) {
      throw named('SNS.InvalidParameterException', `${stateName}: Message must be a string of at most 256 KiB`);
    }
    published.push({ state: stateName, ...input });
    return { MessageId: `local-${published.length}`, SdkHttpMetadata: { HttpStatusCode: 200 } };
  };
}

function bytes(value) {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

async function main() {
  const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
  const definition = await definitionFromTemplate(config.template, config.substitutions);
  const handlers = {};
  const published = [];
  const waits = {};
  const retries = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task' && LAMBDA_INVOKE.test(state.Resource)) {
      handlers[name] = lambdaInvoke(config.functions, name);
    }
    if (state.Type === 'Task' && SNS_PUBLISH.test(state.Resource)) {
      handlers[name] = snsPublish(published, name);
    }
    if (state.Type === 'Wait') waits[name] = config.waitMs ?? 0;
    if (state.Retry) {
      // One pause per retrier: retryMsFor's for the first error it names, else retryMs.
      retries[name] = state.Retry.map((retrier) => {
        const named = retrier.ErrorEquals.find((e) => e in (config.retryMsFor ?? {}));
        return named === undefined ? config.retryMs ?? 0 : config.retryMsFor[named];
      });
    }
  }
  const machine = new StateMachine(definition, {
    // The integration's ARN is not a function ARN, which the validator expects.
    validationOptions: { checkArn: false },
  });
  const machineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:cinelake-pipeline';
  const executionName = config.executionName ?? 'local';
  const execution = machine.run(config.input ?? {}, {
    context: {
      Execution: {
        Id: `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`,
        Name: executionName,
      },
      StateMachine: { Id: machineArn, Name: 'cinelake-pipeline' },
    },
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
  });
  const report = {
    status: 'RUNNING',
    states: [],
    tasks: [],
    largest: { state: null, bytes: 0 },
    published,
  };
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') report.states.push(event.state.name);
      if (event.type === 'StateExited' && event.state.type === 'Task') {
        report.tasks.push({ state: event.state.name, output: event.state.output });
      }
      if (event.type === 'StateFailed' || event.type === 'StateRetried'
        || event.type === 'StateCaught') {
        report.events ??= [];
        report.events.push({
          type: event.type,
          state: event.state.name,
          error: event.Error ?? event.retry?.retrier?.ErrorEquals?.join(','),
        });
      }
      for (const value of [event.state?.input, event.state?.output, event.input, event.output]) {
        const size = bytes(value);
        if (size > report.largest.bytes) {
          report.largest = { state: event.state?.name ?? event.type, bytes: size };
        }
      }
    }
  })();
  try {
    report.output = await execution.result;
    report.status = 'SUCCEEDED';
  } catch (e) {
    const failure = e.cause ?? e;
    report.status = e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
    report.error = failure.name;
    report.cause = failure.message;
  }
  await events;
  report.overLimit = report.largest.bytes > STATE_LIMIT_BYTES;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(2);
  },
);
