import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { KubeConfig } from '@kubernetes/client-node';

/*
 * A stand-in for a Kubernetes API server, for the Kubernetes routers' tests (no cluster runs
 * here). It keeps objects by path, answers GET and PUT as the API server does (Status objects,
 * resourceVersion conflicts as 409), and checks every PUT body against the resource's schema as
 * the real one would refuse it (422): the HTTPRoute schema of Gateway API v1 (backendRefs at most
 * 16, weights 0 to 1,000,000, a Service reference needs its port) and networking.k8s.io/v1
 * Ingress (pathType required, ports 1-65535, annotation values strings). Unknown fields are
 * refused rather than pruned, so a router that sends a wrong field fails its test.
 */

const Str = Type.String();
const Name = Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Metadata = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(Str),
    resourceVersion: Type.Optional(Str),
    uid: Type.Optional(Str),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Str),
    labels: Type.Optional(Type.Record(Str, Str)),
    annotations: Type.Optional(Type.Record(Str, Str)),
  },
  { additionalProperties: false },
);

const BackendRef = Type.Object(
  {
    group: Type.Optional(Type.String({ maxLength: 253 })),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    name: Type.String({ minLength: 1, maxLength: 253 }),
    namespace: Type.Optional(Str),
    port: Type.Optional(Port),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    filters: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: false },
);

const HttpRoute = Type.Object(
  {
    apiVersion: Type.Literal('gateway.networking.k8s.io/v1'),
    kind: Type.Literal('HTTPRoute'),
    metadata: Metadata,
    spec: Type.Object(
      {
        parentRefs: Type.Optional(Type.Array(Type.Object({ name: Str, namespace: Type.Optional(Str), sectionName: Type.Optional(Str), group: Type.Optional(Str), kind: Type.Optional(Str), port: Type.Optional(Port) }, { additionalProperties: false }), { maxItems: 32 })),
        hostnames: Type.Optional(Type.Array(Str, { maxItems: 16 })),
        rules: Type.Optional(
          Type.Array(
            Type.Object(
              {
                name: Type.Optional(Str),
                matches: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 64 })),
                filters: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 16 })),
                backendRefs: Type.Optional(Type.Array(BackendRef, { maxItems: 16 })),
                timeouts: Type.Optional(Type.Unknown()),
              },
              { additionalProperties: false },
            ),
            { maxItems: 16 },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    status: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const IngressBackend = Type.Object(
  {
    service: Type.Optional(Type.Object({ name: Name, port: Type.Object({ number: Type.Optional(Port), name: Type.Optional(Str) }, { additionalProperties: false }) }, { additionalProperties: false })),
    resource: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const Ingress = Type.Object(
  {
    apiVersion: Type.Literal('networking.k8s.io/v1'),
    kind: Type.Literal('Ingress'),
    metadata: Metadata,
    spec: Type.Object(
      {
        ingressClassName: Type.Optional(Str),
        defaultBackend: Type.Optional(IngressBackend),
        tls: Type.Optional(Type.Array(Type.Unknown())),
        rules: Type.Optional(
          Type.Array(
            Type.Object(
              {
                host: Type.Optional(Str),
                http: Type.Optional(
                  Type.Object(
                    {
                      paths: Type.Array(
                        Type.Object({ path: Type.Optional(Str), pathType: Type.Union([Type.Literal('Exact'), Type.Literal('Prefix'), Type.Literal('ImplementationSpecific')]), backend: IngressBackend }, { additionalProperties: false }),
                        { minItems: 1 },
                      ),
                    },
                    { additionalProperties: false },
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        ),
      },
      { additionalProperties: false },
    ),
    status: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const SCHEMAS: Record<string, ReturnType<typeof Compile<TSchema>>> = { httproutes: Compile(HttpRoute), ingresses: Compile(Ingress) };

/** Gateway API's CEL rule, which a JSON schema cannot say: a Service backendRef must name its port. */
function celErrors(plural: string, body: { spec?: { rules?: { backendRefs?: { group?: string; kind?: string; port?: number }[] }[] } }): string[] {
  if (plural !== 'httproutes') return [];
  return (body.spec?.rules ?? []).flatMap((r, i) =>
    (r.backendRefs ?? []).flatMap((b, j) => ((b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '' && b.port === undefined ? [`spec.rules[${i}].backendRefs[${j}]: Must have port for Service reference`] : [])),
  );
}

export interface FakeKubeApi {
  readonly url: string;
  /** Every request, "METHOD /path", in order. */
  readonly requests: string[];
  /** Stores an object at its API path (resourceVersion "1"). */
  put(path: string, object: Record<string, unknown>): void;
  get(path: string): Record<string, unknown> | undefined;
  /** The next PUT to `path` is answered 409, as when someone else changed the object first. */
  conflictOnce(path: string): void;
  /** Requests to `path` are answered 403. */
  forbid(path: string): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const objects = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  const conflicts = new Set<string>();
  const forbidden = new Set<string>();
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push(`${req.method} ${path}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (forbidden.has(path)) return send(403, status(403, 'Forbidden', `${path} is forbidden: User "system:serviceaccount:default:coalmine" cannot access it`));
      const current = objects.get(path);
      if (req.method === 'GET') return current ? send(200, current) : send(404, status(404, 'NotFound', `${path} not found`));
      if (req.method !== 'PUT') return send(405, status(405, 'MethodNotAllowed', `${req.method} is not supported here`));
      if (!current) return send(404, status(404, 'NotFound', `${path} not found`));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return send(400, status(400, 'BadRequest', 'the body is not JSON'));
      }
      const plural = path.split('/').at(-2)!;
      const check = SCHEMAS[plural];
      const errors = check ? [...check.Errors(body)].map((e) => `${(e as { instancePath: string }).instancePath}: ${(e as { message: string }).message}`) : [];
      errors.push(...celErrors(plural, body));
      if (errors.length > 0) return send(422, status(422, 'Invalid', `${plural} is invalid: ${errors.slice(0, 5).join('; ')}`));
      const meta = body.metadata as { name?: string; resourceVersion?: string };
      const had = current.metadata as { name: string; resourceVersion: string };
      if (meta.name !== had.name) return send(400, status(400, 'BadRequest', `the name of the object (${meta.name}) does not match the name on the URL (${had.name})`));
      if (conflicts.delete(path) || (meta.resourceVersion !== undefined && meta.resourceVersion !== had.resourceVersion)) {
        had.resourceVersion = String(Number(had.resourceVersion) + 1);
        return send(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${plural} "${had.name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      const stored = { ...body, metadata: { ...(body.metadata as object), resourceVersion: String(Number(had.resourceVersion) + 1) } };
      objects.set(path, stored);
      send(200, stored);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    put: (path, object) => objects.set(path, { ...object, metadata: { ...(object.metadata as object), resourceVersion: '1' } }),
    get: (path) => objects.get(path),
    conflictOnce: (path) => conflicts.add(path),
    forbid: (path) => forbidden.add(path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A KubeConfig whose one context is the fake (what a kubeconfig file naming it would give). */
export function fakeKubeConfig(api: FakeKubeApi): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }], users: [{ name: 'coalmine', token: 'test' }], contexts: [{ name: 'fake', cluster: 'fake', user: 'coalmine' }], currentContext: 'fake' });
  return kc;
}

/** The same as a kubeconfig file's text. */
export function fakeKubeconfigYaml(api: FakeKubeApi): string {
  return `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${api.url}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: coalmine\ncurrent-context: fake\nusers:\n- name: coalmine\n  user:\n    token: test\n`;
}

/** A Deployment with `ready` of `replicas` ready. */
export function deployment(namespace: string, name: string, replicas: number, ready: number): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas }, status: { replicas, readyReplicas: ready } };
}
