export { hostPort, type WeightPlan, type WeightRouter, type WeightTarget } from './weight-router.js';
export { HaproxyRouter, type HaproxyRouterConfig } from './haproxy/haproxy-router.js';
export { haproxyPlan, HAPROXY_MAX_WEIGHT } from './haproxy/haproxy-weights.js';
export { NginxRouter, type NginxRouterConfig } from './nginx/nginx-router.js';
export { nginxPlan } from './nginx/nginx-upstream.js';
export { backendOf, describeTraffic, planFor } from './router-plan.js';
export { GatewayApiRouter, gatewayPlan } from './gateway-api/gateway-api-router.js';
export { IngressNginxRouter, ingressNginxPlan } from './ingress-nginx/ingress-nginx-router.js';
export { kubeConfigFor } from './kubernetes/kube-api.js';
