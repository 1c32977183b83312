/**
 * The bench's honest ceiling: a bare Fastify process, the same Fastify version and JSON body
 * parsing (its body limit and strict schema options too) as coalmine's server, and none of
 * coalmine's hooks, routing, model or telemetry. Its one route answers every POST with the reply
 * coalmine's predict route gives, so both sides parse and serialize the same bytes.
 */
import Fastify from 'fastify';
import { CONSTANT_REPLY } from './constant-reply.js';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } } });

// The body is parsed, as coalmine's is, and read, so no engine can skip the parse.
app.post('/*', async (req) => ((req.body as { features?: unknown } | null)?.features === undefined ? { ...CONSTANT_REPLY, prediction: 0 } : CONSTANT_REPLY));

const url = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
