export { createConnectWiseSandboxApp, startConnectWiseSandbox, type ConnectWiseSandbox, type ConnectWiseSandboxOptions } from './server.ts';
export { AGREEMENTS, CODEBASE, COMPANIES, COMPANY_ID, MEMBERS, PRODUCTS, PROJECTS, TICKETS, WORK_ROLES } from './catalog.ts';
