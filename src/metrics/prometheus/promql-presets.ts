import type { MetricQuery, MetricsSpec } from '../../domain/index.js';

/** What a template may name; each is filled in per variant when a step is measured. */
export const TEMPLATE_VARIABLES = ['model', 'version', 'variant', 'server', 'address', 'backend', 'interval'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * Query templates for exporters coalmine knows. Each query yields one number per variant over the
 * step's window ({{interval}}), except latency_buckets, which yields one series per `le`.
 *
 * - haproxy: HAProxy's built-in exporter (`http-request use-service prometheus-exporter`), per
 *   server slot: responses by code class, and the response time averaged over the server's last
 *   1024 requests (HAProxy 2.6 exports no latency histogram, so latency is judged on the mean).
 * - mlserver: MLServer's default metrics, per scrape target (the version's address): successful
 *   and failed inference requests, and the REST server's request-duration histogram.
 */
export const PRESETS: Readonly<Record<'haproxy' | 'mlserver', Readonly<Partial<Record<MetricQuery, string>>>>> = {
  haproxy: {
    requests: 'sum(increase(haproxy_server_http_responses_total{proxy="{{backend}}",server="{{server}}"}[{{interval}}]))',
    errors: 'sum(increase(haproxy_server_http_responses_total{proxy="{{backend}}",server="{{server}}",code="5xx"}[{{interval}}]))',
    latency_mean: 'avg(avg_over_time(haproxy_server_response_time_average_seconds{proxy="{{backend}}",server="{{server}}"}[{{interval}}]))',
  },
  mlserver: {
    requests:
      'sum(increase(model_infer_request_success{instance="{{address}}"}[{{interval}}])) + (sum(increase(model_infer_request_failure{instance="{{address}}"}[{{interval}}])) or vector(0))',
    errors: '(sum(increase(model_infer_request_failure{instance="{{address}}"}[{{interval}}])) or vector(0)) and on() (sum(increase(model_infer_request_success{instance="{{address}}"}[{{interval}}])))',
    latency_buckets: 'sum by (le) (increase(rest_server_requests_duration_seconds_bucket{instance="{{address}}"}[{{interval}}]))',
    latency_sum: 'sum(increase(rest_server_requests_duration_seconds_sum{instance="{{address}}"}[{{interval}}]))',
    latency_count: 'sum(increase(rest_server_requests_duration_seconds_count{instance="{{address}}"}[{{interval}}]))',
  },
};

/** Fills a template's {{variables}}; label values are escaped for PromQL's double-quoted strings. */
export function renderQuery(template: string, vars: Readonly<Record<TemplateVariable, string>>): string {
  return template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name as TemplateVariable];
    if (value === undefined) throw new Error(`unknown template variable {{${name}}}`);
    return name === 'interval' ? value : value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  });
}

/** The {{variables}} a template names that are not known, for a spec's error message. */
export function unknownVariables(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([A-Za-z_]+)\s*\}\}/g)].map((m) => m[1]!).filter((n) => !(TEMPLATE_VARIABLES as readonly string[]).includes(n));
}

/** The templates a spec runs: its preset's, with its own queries over them one by one. */
export function queryTemplates(spec: Pick<MetricsSpec, 'preset' | 'queries'>): Readonly<Partial<Record<MetricQuery, string>>> {
  return { ...(spec.preset ? PRESETS[spec.preset] : {}), ...spec.queries };
}
