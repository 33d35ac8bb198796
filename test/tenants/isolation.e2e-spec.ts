import { describeTenantIsolation } from '../fixtures/tenant-isolation-suite';

describeTenantIsolation('file');
