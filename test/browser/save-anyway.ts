import type { Page } from 'playwright-core';

/**
 * Save from the admin page, then "Save anyway" once the check refuses the settings: what an admin
 * does to keep settings of a server that the check cannot reach (these tests reach no other host)
 * or a password that is wrong on purpose.
 */
export async function saveAnyway(page: Page): Promise<void> {
  await page.locator('#save').click();
  await page.locator('#form-status').getByRole('button', { name: 'Save anyway' }).click();
  await page.locator('#form-status').getByText('Saved.').waitFor();
}
