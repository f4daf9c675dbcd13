import { Locator, Page } from 'playwright-core';

/** What Swagger UI shows in an operation's "Server response" panel after Execute. */
export interface ShownResponse {
  status: number;
  /** The "Response body" as shown (text). */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: any;
}

/**
 * Swagger UI at `/docs`, driven as a person drives it: expand an operation, Try it out, fill the form,
 * Execute, read the response panel. Every look-up goes through what the page renders, not its internals.
 */
export class SwaggerUi {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.opblock').first().waitFor();
  }

  /** The block of `METHOD path`, expanded, with Try it out pressed. */
  async operation(method: string, path: string): Promise<Operation> {
    const block = this.page
      .locator(`.opblock.opblock-${method.toLowerCase()}`)
      .filter({ has: this.page.locator(`.opblock-summary-path[data-path="${path}"]`) });
    if ((await block.count()) !== 1) throw new Error(`${method} ${path} is not shown exactly once`);
    if (!(await block.locator('.opblock-body').isVisible())) await block.locator('.opblock-summary').click();
    // The block renders its body after the click: its Try it out button (or, once tried, Cancel and Reset)
    // is awaited before it is looked for, or a block still rendering would be taken for one already tried.
    await block.locator('button.try-out__btn').first().waitFor();
    const tryOut = block.locator('button.try-out__btn', { hasText: 'Try it out' });
    if ((await tryOut.count()) === 1) await tryOut.click();
    await block.locator('button.execute').waitFor();
    return new Operation(block);
  }

  /** Authorize: pastes a bearer token into the dialog (after logging out any previous one). */
  async authorize(token: string): Promise<Locator> {
    await this.page.locator('.auth-wrapper button.authorize').click();
    const dialog = this.page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor();
    const logout = dialog.getByRole('button', { name: 'Remove authorization' });
    if (await logout.isVisible()) await logout.click();
    await dialog.locator('input[type=text], input[type=password]').first().fill(token);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    await logout.waitFor();
    return dialog;
  }

  async closeDialog(): Promise<void> {
    await this.page.locator('.dialog-ux .modal-ux button.btn-done').click();
    await this.page.locator('.dialog-ux .modal-ux').waitFor({ state: 'detached' });
  }

  /** Whether the Authorize button shows a token in use (the locked padlock). */
  async authorized(): Promise<boolean> {
    return (await this.page.locator('.auth-wrapper button.authorize.locked').count()) === 1;
  }
}

export class Operation {
  constructor(readonly block: Locator) {}

  /** The JSON request body, typed into the body editor in place of the example. */
  async setJsonBody(body: unknown): Promise<void> {
    await this.block.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
  }

  /** The example Swagger UI shows in the body editor before anything is typed. */
  async jsonBodyShown(): Promise<unknown> {
    return JSON.parse(await this.block.locator('textarea.body-param__text').inputValue());
  }

  /** The file picker of a multipart field. */
  filePicker(field: string): Locator {
    return this.block.locator(`tr[data-property-name="${field}"] input[type=file]`);
  }

  /** A text field of a path or query parameter. */
  parameter(name: string): Locator {
    return this.block.locator(`tr[data-param-name="${name}"] input`);
  }

  async execute(): Promise<ShownResponse> {
    const live = this.block.locator('.live-responses-table');
    // A second Execute replaces the panel: wait for the old one to go first.
    if (await live.count()) await this.block.locator('button.btn-clear').click();
    await this.block.locator('button.execute').click();
    const row = live.locator('tbody tr.response').first();
    await row.waitFor();
    const status = Number((await row.locator('td.response-col_status').textContent())?.trim());
    const body = row.locator('.response-col_description pre.microlight').first();
    const text = (await body.count()) ? ((await body.textContent()) ?? '') : '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status, text, json };
  }

  /**
   * A screenshot of the operation from its title down to the server's response (the documented answers
   * below it are left out: they are the same on every run).
   */
  async screenshot(path: string): Promise<void> {
    await this.block.scrollIntoViewIfNeeded();
    const page = this.block.page();
    const top = await this.block.boundingBox();
    const live = this.block.locator('.live-responses-table');
    const bottom = (await live.count()) ? await live.boundingBox() : top;
    if (!top || !bottom) throw new Error('the operation is not on the page');
    const scrollY = await page.evaluate<number>('window.scrollY');
    await page.screenshot({
      path,
      fullPage: true,
      clip: { x: top.x, y: top.y + scrollY, width: top.width, height: bottom.y + bottom.height - top.y },
    });
  }

  /** The link Swagger UI offers for an answer it treats as a file ("Download file"). */
  downloadLink(): Locator {
    return this.block.locator('.live-responses-table a[download]');
  }
}
