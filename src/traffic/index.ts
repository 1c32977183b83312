export { hostPort, type WeightPlan, type WeightRouter, type WeightTarget } from './weight-router.js';
export { HaproxyRouter, type HaproxyRouterConfig } from './haproxy/haproxy-router.js';
export { haproxyPlan, HAPROXY_MAX_WEIGHT } from './haproxy/haproxy-weights.js';
export { NginxRouter, type NginxRouterConfig } from './nginx/nginx-router.js';
export { nginxPlan } from './nginx/nginx-upstream.js';
export { describeTraffic, planFor } from './router-plan.js';
