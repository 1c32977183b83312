import { ApiException, AppsV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { appError, type AppError } from '../../domain/index.js';

/** Where a Kubernetes router finds its cluster: the server's kubeconfig file, or the default lookup, at the spec's context. */
export function kubeConfigFor(kubeconfig: string | null, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    // KUBECONFIG, ~/.kube/config, or the pod's service account, as kubectl looks.
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw appError('router_unavailable', `cannot read the kubeconfig${kubeconfig ? ` ${kubeconfig} (COALMINE_KUBECONFIG)` : ''}: ${(err as Error).message}`);
  }
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) throw appError('invalid_request', `traffic.context "${context}" is not a context of the server's kubeconfig (it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    kc.setCurrentContext(context);
  }
  return kc;
}

/** The API groups the routers use, from one KubeConfig. */
export interface KubeApis {
  readonly custom: CustomObjectsApi;
  readonly networking: NetworkingV1Api;
  readonly apps: AppsV1Api;
  readonly server: string;
}

export function kubeApis(kc: KubeConfig): KubeApis {
  return { custom: kc.makeApiClient(CustomObjectsApi), networking: kc.makeApiClient(NetworkingV1Api), apps: kc.makeApiClient(AppsV1Api), server: kc.getCurrentCluster()?.server ?? '(no cluster)' };
}

/** The HTTP status of a failed API call, or null when it never got an answer. */
export function statusOf(err: unknown): number | null {
  return err instanceof ApiException ? (err.code as number) : null;
}

/** A failed API call as an error the user can act on: what was asked, and what the API server said. */
export function kubeError(err: unknown, what: string, server: string): AppError {
  const code = statusOf(err);
  const body = err instanceof ApiException ? messageOf(err.body) : (err as Error).message;
  const hint =
    code === 404 ? 'it does not exist: create it, or fix the name and namespace in traffic:' : code === 401 || code === 403 ? "coalmine's credentials may not do this: grant its service account get and update on it (docs/controller.md has the Role)" : code === 409 ? 'someone else changed it at the same moment; the next reconcile tries again' : code === 422 ? 'the API server refused the object coalmine sent' : `check that the API server at ${server} is reachable`;
  return appError('router_unavailable', `Kubernetes ${what}${code ? `: HTTP ${code}` : ''}: ${body}; ${hint}`);
}

/** The API server's Status message, from the body as client-node hands it over (a string or parsed JSON). */
function messageOf(body: unknown): string {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body) as unknown;
    } catch {
      return body.slice(0, 300);
    }
  }
  return typeof b === 'object' && b !== null && 'message' in b ? String((b as { message: unknown }).message) : String(b).slice(0, 300);
}

/** A version's endpoint as a Service: the first label of the host ("churn-v2" of churn-v2.prod.svc:8080) and the port. */
export function serviceOf(endpoint: string): { name: string; port: number } {
  const m = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[^:]*)?:(\d{1,5})$/.exec(endpoint);
  if (!m) throw appError('invalid_request', `endpoint "${endpoint}" does not name a Kubernetes Service: give it as service-name:port (e.g. churn-v2:8080)`);
  return { name: m[1]!, port: Number(m[4]) };
}

/**
 * Seed 003's verify_deployments_health: a version is ready when its Deployment has as many ready
 * replicas as it asks for (and at least one). Returns why not, or undefined.
 */
export async function deploymentUnready(apis: KubeApis, namespace: string, name: string): Promise<string | undefined> {
  try {
    const d = await apis.apps.readNamespacedDeployment({ name, namespace });
    const want = d.spec?.replicas ?? 1;
    const ready = d.status?.readyReplicas ?? 0;
    if (want === 0) return `Deployment ${namespace}/${name} is scaled to 0`;
    return ready >= want ? undefined : `Deployment ${namespace}/${name} has ${ready}/${want} ready replicas`;
  } catch (err) {
    return kubeError(err, `reading Deployment ${namespace}/${name}`, apis.server).message;
  }
}
