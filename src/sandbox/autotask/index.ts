export { createAutotaskSandboxApp, startAutotaskSandbox, type AutotaskSandbox, type AutotaskSandboxOptions } from './server.ts';
export { API_USER, COMPANIES, CONTRACTS, PROJECTS, RESOURCES, ROLES, SERVICES, STRAY, TASKS, TICKETS, TM_CONTRACT } from './catalog.ts';
