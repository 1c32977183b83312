export { BUCKETS, bucketOf, murmur32, pickVariant, seedForModel, type SplitInput } from './splitter.js';
