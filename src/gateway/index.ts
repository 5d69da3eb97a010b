export { startGateway, type Gateway, type GatewayOptions } from './server.js';
export { loadGatewayConfig, parseGatewayConfig, GatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from './config.js';
export { newApiKey, hashApiKey, hashPassword, verifyPassword } from './auth.js';
export { READ_ONLY_METHODS, WRITE_METHODS, REVEALING_METHODS, NEVER_FORWARDED } from './methods.js';
